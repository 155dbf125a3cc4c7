"""Errors raised while reading or validating accelerator descriptions.

Hierarchy::

    ValueError
     └── ConfigError        an accelerator file, preset or field is unusable

A ``ConfigError`` carries where the problem is (``source``: a file or preset
name; ``path``: the dotted location of the field, e.g. ``memory[1].size_bytes``)
and what is wrong (``message``), and builds its one-line text in ``__str__``
so that the CLI can print it as is. When a file has several problems,
``details`` holds every ``(path, message)`` pair and the text names the first
one plus a count of the rest. Errors pickle, so they cross process boundaries
in parallel sweeps.
"""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """An accelerator description could not be loaded or used.

    Parameters
    ----------
    message : str
        What is wrong, phrased so that the user knows what to change.
    source : str, optional
        The file or preset the description came from.
    path : str, optional
        Dotted location of the offending field, e.g. ``engines[0].rows``.
    details : tuple of (str, str), optional
        Every ``(path, message)`` found, the first one included.

    Examples
    --------
    >>> str(ConfigError("must be > 0 (got 0)", source="hw.yaml", path="memory[1].size_bytes"))
    'hw.yaml: memory[1].size_bytes: must be > 0 (got 0)'
    """

    def __init__(
        self,
        message: str,
        source: str | None = None,
        path: str | None = None,
        details: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(message, source, path, details)
        self.message = message
        self.source = source
        self.path = path
        self.details = tuple(details)

    def __reduce__(self):
        return (type(self), (self.message, self.source, self.path, self.details))

    def __str__(self) -> str:
        parts = [part for part in (self.source, self.path, self.message) if part]
        text = ": ".join(parts)
        more = len(self.details) - 1
        if more > 0:
            text += f" (and {more} more error{'s' if more > 1 else ''})"
        return text
