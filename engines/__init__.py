"""Music engines: the contract every engine honours, and the registry that finds them by name.

Audio post-processing lives in :mod:`engines.audio` (imported on its own: it pulls in Pillow and ffmpeg).
"""

from engines.base import (
    Capabilities,
    Engine,
    EngineError,
    EngineHealth,
    EngineOptions,
    EngineRejected,
    EngineTimedOut,
    EngineUnavailable,
    GeneratedTrack,
    GenerationRequest,
    License,
    ModelInfo,
    Samples,
)
from engines.registry import EngineLoadError, UnknownEngine, available_engines, engine_class, get_engine

__all__ = [
    "Capabilities",
    "Engine",
    "EngineError",
    "EngineHealth",
    "EngineLoadError",
    "EngineOptions",
    "EngineRejected",
    "EngineTimedOut",
    "EngineUnavailable",
    "GeneratedTrack",
    "GenerationRequest",
    "License",
    "ModelInfo",
    "Samples",
    "UnknownEngine",
    "available_engines",
    "engine_class",
    "get_engine",
]
