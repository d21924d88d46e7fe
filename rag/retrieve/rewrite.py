"""Follow-up questions -> a standalone retrieval query.

"Who chaired it before?" retrieves nothing useful alone. The cheap method: prefix the user's previous
question(s), which name the topic. It costs no LLM call (an LLM condensation would add seconds of
prompt reading on 2 cores); the eval's follow-up rows measure whether that is enough.
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.llm.base import Message

MAX_CONTEXT_CHARS = 300


def condense(question: str, history: Sequence[Message]) -> str | None:
    """The query to retrieve with, or None when the question has no history to lean on."""
    earlier = [m["content"].strip() for m in history if m.get("role") == "user" and m.get("content")]
    if not earlier:
        return None
    context = " ".join(earlier[-2:])[-MAX_CONTEXT_CHARS:]
    return f"{context} {question.strip()}"
