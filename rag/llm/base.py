"""The LLM interface the answer stage depends on, and the factory that picks a backend from settings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypedDict

from rag.settings import Settings


class Message(TypedDict):
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass
class Usage:
    """Filled in while a stream runs, so a caller that stops early still knows what was spent."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    extra: dict[str, float] = field(default_factory=dict)


class LLM(Protocol):
    name: str

    def stream_chat(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        stop: Sequence[str] = (),
        usage: Usage | None = None,
    ) -> Iterator[str]:
        """Yield text pieces as they are generated (temperature 0, fixed seed: deterministic)."""
        ...


def load_llm(settings: Settings) -> LLM:
    """A server URL wins over a local model: users who outgrow one machine point at their server."""
    if settings.llm_url:
        from rag.llm.remote import OpenAICompatibleLLM

        return OpenAICompatibleLLM(settings)
    from rag.llm.local import LlamaCppLLM
    from rag.models.provision import resolve

    return LlamaCppLLM(resolve(settings.llm, "llm", settings.cache_dir), settings)
