"""Errors a user can act on: each names the object, the field and the value at fault."""

from __future__ import annotations


class FieldrouteError(Exception):
    """Base of every error fieldroute raises on purpose."""


class ProblemError(FieldrouteError, ValueError):
    """The problem is malformed: names the object, field, offending value and what would work."""

    def __init__(self, obj: str, field: str, value: object, expected: str) -> None:
        self.obj = obj
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(f"{obj}: {field} = {value!r}: {expected}")


class InputFormatError(FieldrouteError, ValueError):
    """A file could not be read as the documented format (malformed JSON, wrong types...)."""


class SolverError(FieldrouteError, RuntimeError):
    """The optimiser failed for a reason that is not the user's input (a bug worth reporting)."""


class NetworkError(FieldrouteError):
    """A road network could not be loaded or used: names the source, location or pair at
    fault and what would work (an offline file, a larger snap limit, another network...)."""
