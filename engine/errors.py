"""Errors of the engine; bad-input errors also subclass ValueError."""


class EngineError(Exception):
    """Base class of the engine's errors."""


class ModelFileMissing(EngineError, FileNotFoundError):
    """A bundled model file is not where the package expects it."""


class BackendUnavailable(EngineError):
    """A model backend cannot run here (a missing package, weights, GPU or server)."""


class BackendFailed(EngineError):
    """A model backend ran but gave no usable answer (timeout, error, malformed output)."""


class UnknownAnchor(EngineError, KeyError):
    """An anchor id that the conversation does not have."""
