"""Evidence recall of self-contained questions asked after another turn: condensed or asked alone.

A follow-up is retrieved with the previous turn in front of it (``rag.retrieve.rewrite.condense``); a
question that does not lean on the history (``rag.text.anaphora``) is retrieved alone. This bench
measures what that test is for: every answerable seed question without history is asked after the
previous such question of its language and that question's first gold answer, and the evidence ranker's
sentence recall (bench/sentence_recall.py's measure) is compared for

- ``alone``        -- no history at all (the ceiling: what the question finds by itself);
- ``always``       -- every question condensed with the previous turn (the behaviour before the test);
- ``leaning test`` -- condensed only when ``leans_on_history`` says so (the product).

The seed follow-up rows are counted too: each must still be condensed (else it loses its thread).

    nice -n 19 .venv/bin/python bench/standalone_after_turn.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import SEEDS_QA, command_line, md_table, read_jsonl, write_results
from sentence_recall import Case, DiskVectors, is_gold, score

from evals.split import split_of
from rag.answer.evidence import EvidenceRanker, Weights
from rag.llm.base import Message
from rag.pipeline import RAG
from rag.retrieve.rewrite import condense
from rag.settings import Settings
from rag.text.anaphora import leans_on_history

CONDITIONS = ("alone", "always", "leaning test")


def previous_turns(rows: list[dict[str, Any]]) -> dict[str, list[Message]]:
    """Each standalone row's history: the previous standalone row of its language, answered by its gold."""
    out: dict[str, list[Message]] = {}
    for lang in ("az", "ru", "en"):
        same = [r for r in rows if r["lang"] == lang and not r.get("history") and r.get("answers")]
        for before, row in zip([same[-1], *same[:-1]], same, strict=True):
            out[row["id"]] = [{"role": "user", "content": before["question"]},
                              {"role": "assistant", "content": f"{before['answers'][0]} [1]."}]
    return out


def main() -> None:
    settings = Settings.load()
    rag = RAG(settings)
    e = rag.embedder
    docs = DiskVectors(e.embed_documents, e.fingerprint)
    ranker = EvidenceRanker.from_settings(settings, e.embed_queries, docs, rag.store.language_offsets)
    weights = Weights.from_settings(settings)
    rows = read_jsonl(SEEDS_QA)
    history = previous_turns(rows)
    follow_ups = [r for r in rows if r.get("history")]
    still_condensed = sum(condense(r["question"], r["history"]) is not None for r in follow_ups)
    asked = [r for r in rows if r.get("answerable") and r.get("evidence") and r["id"] in history]
    cases: dict[str, dict[str, list[Case]]] = {c: {"dev": [], "heldout": []} for c in CONDITIONS}
    for row in asked:
        q = row["question"]
        queries = {"alone": q, "always": condense(q, history[row["id"]], always=True) or q,
                   "leaning test": condense(q, history[row["id"]]) or q}
        ranked: dict[str, Case] = {}  # a question the test does not condense is searched as "alone" was
        for cond, query in queries.items():
            if query not in ranked:
                hits = rag.retriever.search(query, settings.retrieve_depth)[: settings.evidence_hits]
                items = ranker.features(q, query, hits)
                ranked[query] = (row, items, [is_gold(s, hits, row["evidence"]) for s in items])
            cases[cond][split_of(row["id"]) or "dev"].append(ranked[query])
    docs.save()
    leaning = sum(leans_on_history(r["question"]) for r in asked)
    results = [{"condition": c, **{f"{h}_{k}": v for h in ("dev", "heldout")
                                   for k, v in score(cases[c][h], weights).items()}} for c in CONDITIONS]
    for r in results:
        print(r, flush=True)
    stats = ["r1", "r3", "r1_cross", "r3_cross", "n"]
    md = ["# Self-contained questions asked after another turn: evidence recall (answerable seed questions)", "",
          f"Command: `{command_line()}`", "",
          "Each answerable seed question without history is asked after the previous such question of its "
          "language, answered with that question's first gold answer. r1 / r3 = a sentence holding the row's "
          "evidence quote is ranked first / in the top 3 (as in bench/sentence_recall.py). Dev = odd ids, "
          "held-out = even.", "",
          f"The leaning test calls {leaning} of these {len(asked)} self-contained questions follow-ups (they "
          f"are condensed as before); it keeps {still_condensed} of the {len(follow_ups)} seed follow-ups "
          "condensed.", "",
          md_table(["condition", *[f"dev {s}" for s in stats], *[f"held-out {s}" for s in stats]],
                   [[r["condition"], *[r[f"dev_{s}"] for s in stats], *[r[f"heldout_{s}"] for s in stats]]
                    for r in results])]
    write_results("standalone_after_turn", {"results": results, "leaning": leaning, "asked": len(asked),
                                            "follow_ups": len(follow_ups), "still_condensed": still_condensed},
                  "\n".join(md))


if __name__ == "__main__":
    main()
