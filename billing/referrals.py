"""Invitation rewards: when an invited person's first track is delivered, both sides get paid credits.

The rule, exactly once: the referral is marked rewarded and both ledger rows (kind ``referral``, unique references
``referral:<invited id>:invited`` / ``…:inviter``) are appended in one transaction, so a retry, a second worker or
a restart can never pay twice, and a crash never leaves a reward marked but unpaid. Never for self-invites (refused
when recorded, and by the table) nor for people who had used the bot before the invitation (only a first contact
records one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from storage import Database, LedgerEntry
from storage.ledger import LedgerRepository
from storage.referrals import ReferralRepository

#: An invitation link's payload: ``inv_`` and the first characters of the inviter's fingerprint.
PAYLOAD_PREFIX = "inv_"
CODE_LENGTH = 12


@dataclass(frozen=True, slots=True)
class Reward:
    """Credits paid for one invitation."""

    inviter_id: int
    invited_id: int
    credits: int


class Referrals:
    """Records invitations and pays their rewards."""

    def __init__(self, db: Database, *, credits: int, clock: Callable[[], datetime]) -> None:
        self._db, self._repo, self.credits, self._clock = db, ReferralRepository(db), credits, clock

    @staticmethod
    def payload(fingerprint: str) -> str:
        """The /start payload of a person's personal invitation link."""
        return PAYLOAD_PREFIX + fingerprint[:CODE_LENGTH]

    async def record(self, invited_id: int, payload: str | None, *, first_contact: bool) -> bool:
        """Remember the inviter behind ``payload`` for a person on their first contact; True when recorded."""
        if not first_contact or not payload or not payload.startswith(PAYLOAD_PREFIX):
            return False
        inviter = await self._repo.inviter_by_code(payload.removeprefix(PAYLOAD_PREFIX)[:CODE_LENGTH])
        if inviter is None or inviter == invited_id:
            return False
        return await self._repo.record(invited_id, inviter, self._clock())

    async def reward(self, invited_id: int, job_id: int | None) -> Reward | None:
        """Pay both sides for ``invited_id``'s first delivered track ``job_id``; None if nothing is owed."""
        if self.credits <= 0:
            return None
        now = self._clock()
        async with self._db.transaction() as conn:
            pair = await ReferralRepository.claim(conn, invited_id, job_id, self.credits, now)
            if pair is None:
                return None
            for side, fingerprint, other in (
                ("invited", pair.invited_fingerprint, pair.inviter_id),
                ("inviter", pair.inviter_fingerprint, pair.invited_id),
            ):
                note = f"invited by {other}" if side == "invited" else f"invited {other}"
                await LedgerRepository.append(
                    conn,
                    LedgerEntry(
                        fingerprint=fingerprint,
                        bucket="paid",
                        kind="referral",
                        amount=self.credits,
                        created_at=now,
                        job_id=job_id,
                        reference=f"referral:{invited_id}:{side}",
                        note=note,
                    ),
                )
        return Reward(pair.inviter_id, pair.invited_id, self.credits)

    async def rewarded(self) -> tuple[int, int]:
        """Rewarded invitations so far, and the credits they paid (both sides)."""
        return await self._repo.rewarded()
