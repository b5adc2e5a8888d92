"""Faults a test can inject into the next calls: flood limits, blocks, server errors, slowness, dropped links.

A fault matches by method (None: any method but getUpdates, which must be named to be hit, so a poller does
not swallow a fault meant for a send) and optionally by ``chat_id``, and fires ``times`` times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

FaultKind = Literal["429", "403", "500", "502", "slow", "drop", "drop_after"]
FAULT_KINDS: tuple[FaultKind, ...] = ("429", "403", "500", "502", "slow", "drop", "drop_after")

# kind → (HTTP status, description); "slow", "drop" (the link breaks before the call is processed) and
# "drop_after" (the call is processed, then the link breaks before the answer) are not answers but behaviours.
ANSWERS: dict[str, tuple[int, str]] = {
    "429": (429, "Too Many Requests: retry after {retry_after}"),
    "403": (403, "Forbidden: bot was blocked by the user"),
    "500": (500, "Internal Server Error"),
    "502": (502, "Bad Gateway"),
}


@dataclass
class Fault:
    """One injected fault and how many more times it fires."""

    kind: FaultKind
    method: str | None = None
    times: int = 1
    retry_after: int = 1
    delay: float = 2.0
    chat_id: int | str | None = None

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        """True when this fault applies to a call of ``method`` with ``params``."""
        if self.times <= 0:
            return False
        if self.method is None and method == "getUpdates":
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)

    def answer(self) -> tuple[int, dict[str, Any]]:
        """The HTTP status and JSON body for an answering fault (429, 403, 500, 502)."""
        status, description = ANSWERS[self.kind]
        body: dict[str, Any] = {
            "ok": False,
            "error_code": status,
            "description": description.format(retry_after=self.retry_after),
        }
        if self.kind == "429":
            body["parameters"] = {"retry_after": self.retry_after}
        return status, body


class FaultPlan:
    """The faults waiting to fire, in injection order."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Arm ``fault``; return it (its ``times`` counts down as it fires)."""
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; known: {', '.join(FAULT_KINDS)}")
        self.faults.append(fault)
        return fault

    def take(self, method: str, params: dict[str, Any]) -> Fault | None:
        """Return the first armed fault matching this call and use up one of its times."""
        for fault in self.faults:
            if fault.matches(method, params):
                fault.times -= 1
                return fault
        return None

    def clear(self) -> None:
        """Disarm every fault."""
        self.faults.clear()
