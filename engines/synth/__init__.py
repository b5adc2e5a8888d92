"""The ``synth`` engine: an offline, seeded composer for nine genres, rendered in numpy.

Public surface: :class:`SynthEngine` (the entry point), :func:`render` (synchronous, for CLI and benchmarks) and
:func:`parse_prompt` (what a prompt asks for, e.g. to pick a duration from "2 minutes").
"""

from engines.synth.engine import LICENSE, MODEL, SynthEngine, render
from engines.synth.prompt import PromptHints, parse_prompt

__all__ = ["LICENSE", "MODEL", "PromptHints", "SynthEngine", "parse_prompt", "render"]
