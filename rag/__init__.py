"""Offline multilingual (az/ru/en) question answering over documents, with verified citations."""

from rag.settings import Settings

__all__ = ["Settings"]
__version__ = "0.1.0"
