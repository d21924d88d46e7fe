"""User-facing errors: each says what went wrong and the command that fixes it."""

from __future__ import annotations


class RagError(Exception):
    """Base class for errors shown to users as-is (no traceback)."""

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.fix}" if self.fix else self.message


class ModelMissingError(RagError):
    """A model file or folder is not provisioned (or is corrupt)."""


class ProvisionError(RagError):
    """Assembling a model from its carrier packages failed; the cache is left as it was."""


class IndexError_(RagError):
    """The index is missing, corrupt, or was built with other settings."""


class InputError(RagError):
    """A question or file the product cannot accept (empty, too long, unreadable...)."""


class LLMError(RagError):
    """The language model (local or remote) failed."""
