"""The LLM interface the answer stage depends on. Implementations live beside it (local, remote,
server_process) and are chosen by ``rag.llm.factory``; this module imports none of them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypedDict


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
