"""Errors of the ontology package; bad-input errors also subclass ValueError or KeyError."""

from __future__ import annotations


class OntologyError(Exception):
    """Base class of every error the ontology package raises."""


class InvalidOntologyData(OntologyError, ValueError):
    """A bundled or user-supplied ontology data file is malformed.

    The message names the file, the entry and what to change.
    """

    def __init__(self, path: str, entry: str, problem: str) -> None:
        self.path = path
        self.entry = entry
        self.problem = problem
        super().__init__(f"{path}: {entry}: {problem}")


class _MissingKey(OntologyError, KeyError):
    # KeyError.__str__ quotes its argument; a sentence reads better unquoted.
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownSign(_MissingKey):
    """No sign has the requested code."""


class UnknownProfile(_MissingKey):
    """No scorecard profile has the requested id."""


class UnknownAnatomy(_MissingKey):
    """No anatomy region has the requested id."""


class InvalidObservation(OntologyError, ValueError):
    """An engine observation names an unknown feature or has a value of the wrong type."""
