"""A piece's sounds, made by the rendering thread and the process's helper (``engines.threads``) at once.

Most of a fresh render is making each distinct sound once (oscillators, physical models, shaped noise): numpy
work on whole notes that releases the GIL in its big operations, independent from note to note. The composer
writes the notes first (``engines.synth.mixer.Bus``); here every distinct sound is queued for a helper thread in
the order the mixdown will want it, and the rendering thread, when the sound it needs next is not made yet, makes
the next sound nobody has started rather than wait (so a sound is never made twice, and nothing waits for a
queue). The notes are still added in the order the composer wrote them, so a seed gives a bit-identical track.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from engines.synth.instruments import Mono
from engines.synth.mixer import Bus, Sound, Stereo
from engines.threads import helpers


def _make(sound: Sound) -> Mono:
    make, args = sound
    return make(*args)


class SoundMaker:
    """Every distinct sound of ``sounds``, made ahead in the helper threads and in the caller's thread."""

    def __init__(self, sounds: Iterable[Sound], pool: ThreadPoolExecutor) -> None:
        self._made: dict[Sound, Mono] = {}
        self._futures: dict[Sound, Future[Mono]] = {}
        for sound in sounds:
            if sound not in self._futures:
                self._futures[sound] = pool.submit(_make, sound)
        self._queue = deque(self._futures)

    def __call__(self, sound: Sound) -> Mono:
        """``sound``, made: by the caller if no helper has started it, else by the helper (meanwhile the caller
        makes sounds queued after it)."""
        made = self._made.get(sound)
        if made is None:
            future = self._futures[sound]
            if future.cancel():
                made = _make(sound)
            else:
                while not future.done() and self._steal():
                    pass
                made = future.result()
            self._made[sound] = made
        return made

    def _steal(self) -> bool:
        """Make the next queued sound no helper has started; False when there is none."""
        while self._queue:
            sound = self._queue.popleft()
            if sound not in self._made and self._futures[sound].cancel():
                self._made[sound] = _make(sound)
                return True
        return False

    def close(self) -> None:
        """Drop what is not made yet (after an error) and every made sound."""
        for future in self._futures.values():
            future.cancel()
        self._futures.clear()
        self._made.clear()


def mixdown(buses: dict[str, Bus], pool: ThreadPoolExecutor | None = None) -> dict[str, Stereo]:
    """Each bus as audio (2, frames), its sounds made in this thread and the helpers."""
    maker = SoundMaker((sound for bus in buses.values() for sound, *_ in bus.notes), pool or helpers())
    try:
        return {name: bus.mixdown(maker) for name, bus in buses.items()}
    finally:
        maker.close()
