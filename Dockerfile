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
COPY scheduler ./scheduler
RUN pip install --no-cache-dir .

ENV DATA_DIR=/data \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080 \
    PYTHONUNBUFFERED=1
RUN mkdir -p /data && chown cloudmusic:cloudmusic /data
VOLUME ["/data"]
EXPOSE 8080

USER cloudmusic
ENTRYPOINT ["python", "-m", "bot"]
