"""Follow-up questions -> a standalone retrieval query.

"What did he do at the meeting?" retrieves nothing useful alone. The cheap method (no LLM call: an LLM
condensation would add seconds of prompt reading on 2 cores) is to put the previous turn in front of the
question: the user's previous question names the topic, and the previous *answer* names what "he" /
"it" now refers to ("The previous chair was Mehmet Nasır Uçan ..."). Measured on the dev half of the seed
follow-ups (``bench/sentence_recall.py``, docs/retrieval.md): with the previous answer in the query the
evidence chunk is in the top 8 for 6 of 7 rows, with the previous two questions only for 3 of 7.

An answer that declined names nothing, so then the two previous questions stand in for it, as before.

Only a question that leans on the history is condensed (``rag.text.anaphora``: pronouns, "And …"/"А …"/
"Bəs …", or no name at all). A self-contained question asked after another one is retrieved alone:
mixed with the previous turn, "Who heads the State Migration Service?" asked after a question about IOM
was answered with the IOM head.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rag.llm.base import Message
from rag.text.anaphora import leans_on_history

MAX_CONTEXT_CHARS = 300


def _always(_: str) -> bool:
    return True


def condense(question: str, history: Sequence[Message], is_answer: Callable[[str], bool] = _always, *,
             always: bool = False) -> str | None:
    """The query to retrieve with, or None when the question has no history or does not lean on it.

    ``is_answer`` tells a real previous answer from a decline ("The documents do not say."); the
    pipeline passes the answer stage's test, this module does not import it (retrieval comes first).
    ``always`` condenses every question with history, the behaviour before the leaning test
    (bench/standalone_after_turn.py measures one against the other).
    """
    turns = [m for m in history if m.get("content") and m.get("role") in ("user", "assistant")]
    earlier = [m["content"].strip() for m in turns if m["role"] == "user"]
    if not earlier or not (always or leans_on_history(question)):
        return None
    last = turns[-1]
    answer = last["content"].strip() if last["role"] == "assistant" else ""
    if answer and is_answer(answer):
        # The answer's head names the subject ("Mehmet Nasır Uçan ..."): keep it whole, trim the question.
        head = answer[:MAX_CONTEXT_CHARS]
        context = f"{earlier[-1][-MAX_CONTEXT_CHARS:]} {head}"
    else:
        context = " ".join(earlier[-2:])[-MAX_CONTEXT_CHARS:]
    return f"{context} {question.strip()}"
