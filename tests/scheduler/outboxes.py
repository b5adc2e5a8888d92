"""Test-only ``Outbox`` implementations (in memory and on disk) and plain teaser words; no Telegram in sight.

They are the seam's other implementations: the outbox contract suite runs on them beside ``TelegramOutbox``, and the
teaser and broadcast tests use them.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from scheduler.outbox import AudioPost, PostReceipt
from storage import Job, Teaser


class MemoryOutbox:
    """Keeps posts and texts in lists; ``script`` holds exceptions to raise on the next calls, in order."""

    def __init__(self, *script: Exception, delay: float = 0.0) -> None:
        self.posts: list[tuple[str, AudioPost]] = []
        self.texts: list[tuple[int | str, str, bool]] = []  # (chat, text, html)
        self.calls = 0
        self.script = list(script)
        self.delay = delay

    async def _call(self) -> int:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.script:
            raise self.script.pop(0)
        return len(self.posts) + len(self.texts) + 1

    async def publish(self, destination: str, post: AudioPost) -> PostReceipt:
        message_id = await self._call()
        self.posts.append((destination, post))
        return PostReceipt(message_id=message_id, file_id=f"mem-{message_id}")

    async def send_text(self, chat_id: int | str, text: str, *, html: bool = False) -> PostReceipt:
        message_id = await self._call()
        self.texts.append((chat_id, text, html))
        return PostReceipt(message_id=message_id)


class FolderOutbox:
    """Writes each message as ``<n>.json`` (and a post's ``<n>.mp3`` + ``<n>.jpg``) under a folder per destination."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _next(self, destination: int | str) -> tuple[Path, int]:
        folder = self.root / str(destination).lstrip("@")
        folder.mkdir(parents=True, exist_ok=True)
        return folder, len(list(folder.glob("*.json"))) + 1

    async def publish(self, destination: str, post: AudioPost) -> PostReceipt:
        folder, number = self._next(destination)
        (folder / f"{number}.mp3").write_bytes(post.audio)
        if post.cover:
            (folder / f"{number}.jpg").write_bytes(post.cover)
        meta = {"title": post.title, "caption": post.caption_html, "links": [[b.text, b.url] for b in post.links]}
        (folder / f"{number}.json").write_text(json.dumps(meta), encoding="utf-8")
        return PostReceipt(message_id=number)

    async def send_text(self, chat_id: int | str, text: str, *, html: bool = False) -> PostReceipt:
        folder, number = self._next(chat_id)
        (folder / f"{number}.json").write_text(json.dumps({"text": text, "html": html}), encoding="utf-8")
        return PostReceipt(message_id=number)

    def posts(self, destination: int | str) -> list[dict[str, Any]]:
        """Every message written for ``destination``, oldest first."""
        folder = self.root / str(destination).lstrip("@")
        files = sorted(folder.glob("*.json"), key=lambda p: int(p.stem)) if folder.exists() else []
        return [json.loads(p.read_text(encoding="utf-8")) for p in files]


class FakeWords:
    """Plain captions, a fixed bot name in links, and a record of owners told."""

    def __init__(self) -> None:
        self.featured_jobs: list[tuple[int, int]] = []  # (job id, teaser id)

    def caption(self, prompt: str, engine: str, license_id: str | None) -> str:
        return f"{prompt} · {engine}" + (f" · {license_id}" if license_id else "")

    def link_text(self) -> str:
        return "Make yours"

    def deep_link(self, teaser_id: int) -> str:
        return f"https://t.me/TestBot?start=teaser_{teaser_id}"

    async def featured(self, job: Job, teaser: Teaser) -> str:
        self.featured_jobs.append((job.id, teaser.id))
        return f"featured: {job.prompt}"
