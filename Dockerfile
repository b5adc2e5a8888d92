# CloudMusic bot image: slim Python, Debian's ffmpeg, a non-root user, data on a volume.
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 cloudmusic
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY engines ./engines
COPY billing ./billing
COPY storage ./storage
COPY compose ./compose
COPY scheduler ./scheduler
COPY standin ./standin
COPY worker ./worker
RUN pip install --no-cache-dir .

ENV DATA_DIR=/data \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080 \
    PYTHONUNBUFFERED=1
# /data/audio exists in the image so a named volume mounted there (compose.yaml) starts owned by cloudmusic
RUN mkdir -p /data/audio && chown -R cloudmusic:cloudmusic /data
VOLUME ["/data"]
EXPOSE 8080

USER cloudmusic
# GET /healthz answers 503 (urlopen raises, exit 1) when the database, the event loop or the update transport
# fails; the slim image has no curl, so Python's urllib asks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('HTTP_PORT', '8080'), timeout=4)" || exit 1
# The same image runs a generation worker: `docker run --entrypoint python cloudmusic -m worker` (compose.yaml does).
ENTRYPOINT ["python", "-m", "bot"]
