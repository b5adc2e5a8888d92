"""Run every benchmark module in turn (for now: engines)."""

from __future__ import annotations

from bench import engines

MODULES = (engines,)


def main() -> None:
    """Run each benchmark's ``main``."""
    for module in MODULES:
        module.main()


if __name__ == "__main__":
    main()
