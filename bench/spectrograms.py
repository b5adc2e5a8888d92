"""Spectrogram pictures of synth tracks for docs/: ``python -m bench.spectrograms LABEL`` writes
``docs/synth-LABEL.png`` (one row per prompt: log-frequency spectrogram, 30 Hz–20 kHz, 80 dB range), drawn with
Pillow so no plotting library is needed.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from engines.base import GenerationRequest
from engines.synth import render

PROMPTS = ("techno", "lofi hip hop", "sad piano in the rain", "epic orchestral", "country song")
WIDTH, ROW = 900, 160
SR = 44_100


def _row(samples: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    mono = samples.mean(axis=1).astype(np.float64)
    size, hop = 4096, max(1, (mono.shape[0] - 4096) // WIDTH)
    index = np.arange(size)[None, :] + hop * np.arange(WIDTH)[:, None]
    index = np.minimum(index, mono.shape[0] - 1)
    power = np.abs(np.fft.rfft(mono[index] * np.hanning(size), axis=1)) ** 2
    freqs = np.fft.rfftfreq(size, 1 / SR)
    edges = np.geomspace(30, 20_000, ROW + 1)
    bins = np.searchsorted(freqs, edges)
    rows = np.stack([power[:, a : max(b, a + 1)].mean(axis=1) for a, b in itertools.pairwise(bins)])
    db = 10 * np.log10(rows + 1e-12)
    db = np.clip((db - (db.max() - 80)) / 80, 0, 1)
    return np.asarray(db[::-1] * 255, dtype=np.uint8)  # high frequencies at the top


def main() -> None:
    """Render each prompt (30 s, seed 1) and stack the spectrograms, labelled."""
    label = sys.argv[1] if len(sys.argv) > 1 else "after"
    canvas = Image.new("RGB", (WIDTH, (ROW + 18) * len(PROMPTS)), "black")
    draw = ImageDraw.Draw(canvas)
    for n, prompt in enumerate(PROMPTS):
        track = render(GenerationRequest(prompt=prompt, duration=30.0, seed=1))
        gray = _row(track.samples)
        colour = np.stack([gray, (gray.astype(np.float32) ** 1.5 / 16).astype(np.uint8), 255 - gray // 2], axis=-1)
        colour[gray < 8] = 0
        canvas.paste(Image.fromarray(colour, "RGB"), (0, n * (ROW + 18) + 18))
        draw.text((4, n * (ROW + 18) + 3), f"{label}: {prompt!r} -> {track.genre}, {track.bpm:.0f} BPM, {track.key}",
                  fill="white")  # fmt: skip
    out = Path(__file__).resolve().parent.parent / "docs" / f"synth-{label}.png"
    canvas.save(out)
    print(out)


if __name__ == "__main__":
    main()
