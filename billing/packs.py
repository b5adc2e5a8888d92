"""Credit packs: what can be bought, for how many Telegram Stars or how much money."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_PACKS = "10:50:1.99,50:200:7.99,200:700:24.99"
_ITEM = re.compile(r"^\s*(\d{1,6})\s*:\s*(\d{1,7})\s*:\s*(\d{1,6}(?:\.\d{1,2})?)\s*$")


@dataclass(frozen=True, slots=True)
class CreditPack:
    """``credits`` generations for ``stars`` ⭐ or ``usd_cents`` through card payments."""

    credits: int
    stars: int
    usd_cents: int

    @property
    def id(self) -> str:
        """A stable id: the number of credits (packs are unique by size)."""
        return str(self.credits)

    @property
    def usd(self) -> str:
        """The card price, e.g. ``1.99``."""
        return f"{self.usd_cents // 100}.{self.usd_cents % 100:02d}"


def parse_packs(text: str) -> tuple[CreditPack, ...]:
    """Parse ``credits:stars:usd`` items separated by commas; ValueError naming the bad item."""
    packs: list[CreditPack] = []
    for item in (part for part in text.split(",") if part.strip()):
        match = _ITEM.match(item)
        if not match:
            raise ValueError(f"expected credits:stars:usd items such as 10:50:1.99, got {item.strip()!r}")
        credits, stars = int(match[1]), int(match[2])
        dollars, _, cents = match[3].partition(".")
        usd_cents = int(dollars) * 100 + int((cents + "00")[:2])
        if credits < 1 or stars < 1 or usd_cents < 50:
            raise ValueError(f"a pack needs at least 1 credit, 1 star and $0.50, got {item.strip()!r}")
        packs.append(CreditPack(credits, stars, usd_cents))
    if not packs:
        raise ValueError("at least one pack is required")
    if len({p.id for p in packs}) != len(packs):
        raise ValueError("two packs have the same number of credits")
    return tuple(packs)
