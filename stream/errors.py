"""One root exception for the project; subpackages subclass it."""

from __future__ import annotations

__all__ = ["SitrepError", "ConfigError", "ModelNotInstalled", "DecodeError"]


class SitrepError(Exception):
    """Base of every error sitrep raises on purpose."""


class ConfigError(SitrepError):
    """A setting (environment variable or CLI flag) is missing or wrong."""


class ModelNotInstalled(SitrepError):
    """The configured spaCy pipeline cannot be loaded.

    Raised instead of degrading to a keyword matcher: events from a model-less
    extractor would look valid and be wrong.
    """


class DecodeError(SitrepError):
    """An input message cannot become an Article.

    ``reason`` is a short stable code (used as a metric label and on the
    dead-letter topic); ``detail`` says what is wrong in plain words and
    ``field`` names the offending field when there is one.
    """

    def __init__(self, reason: str, detail: str, field: str | None = None):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.field = field
