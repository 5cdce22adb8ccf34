"""Errors raised by the shared kernel types."""

from __future__ import annotations


class KernelError(Exception):
    """Base class of every error the ``kernel`` package raises on purpose."""


class InvalidValue(KernelError, ValueError):
    """A shared value (spacing, box, turn number, ...) was built from bad input.

    The message names the field and the value; packages above may re-raise it as their
    own bad-input error (``cases.InvalidRecord``) with the same text.
    """
