"""The typed-answer path alone, without the LLM: how often the fact read from the ranked evidence is right.

For every seed question of one half (``evals/split.py``): retrieve as the product does, rank sentences
(``EvidenceRanker``), classify the question (``question_kind``) and read candidates
(``rag.answer.candidates``); a typed question is answered with the template ("5–8 May [1]."), declined
when it has no candidate or weak evidence, and an open question is left to the LLM (counted apart).
Scored with the eval's own matcher (``evals.scoring.accuracy``).

    nice -n 19 .venv/bin/python bench/typed_answers.py --split dev [--show]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import SEEDS_QA, read_jsonl
from sentence_recall import DiskVectors

from evals.scoring import accuracy
from evals.split import split_of
from rag.answer.candidates import extract, question_kind, role_matched
from rag.answer.compose import quoted, template
from rag.answer.evidence import EvidenceRanker, Sentence
from rag.answer.gates import may_quote, sentence_close_enough, sentence_score
from rag.answer.language import question_language
from rag.pipeline import RAG
from rag.retrieve.rewrite import condense
from rag.settings import Settings
from rag.types import Answer, Hit

STRICT = ("date", "period", "number", "ordinal")


def quote_or(old: dict[str, Any], best: Sentence, pool: list[Hit], q: str, row: dict[str, Any], kind: str,
             min_sentence: float, tally: Counter[str]) -> dict[str, Any]:
    """The stored LLM-path answer, or the quoted evidence sentence where ``may_quote`` replaces a decline
    (the product's rule, applied to the stored answer); prints each candidate row's sentence score."""
    stored = Answer(question=q, answer=str(old.get("answer", "")), language=str(old.get("language", "en")),
                    abstained=bool(old.get("abstained")), warnings=list(old.get("warnings") or []), kind=kind)
    ch = pool[best.hit].chunk
    if may_quote(stored, best, ch.lang, -1.0):  # every candidate, to show where a threshold would cut
        text = quoted(best.text, 1, stored.language)
        ok = bool(row["answerable"]) and accuracy(text, row["answers"])
        verdict = "correct" if ok else "wrong" if row["answerable"] else "unanswerable"
        print(f"quote candidate {row['id']} sentence {sentence_score(best):.3f} {verdict}")
        if sentence_score(best) >= min_sentence:
            tally[f"quoted instead of declined, {verdict}"] += 1
            return dict(old, answer=text, abstained=False, kind=kind, path="quote", timings={},
                        citations=[{"n": 1, "source": ch.source, "chunk_id": ch.id, "text": ch.text,
                                    "start": ch.start + best.start, "end": ch.start + best.end,
                                    "quote": best.text, "verified": True, "support": best.score}])
    return dict(old, kind=kind, path="" if old.get("abstained") else "llm")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="dev", choices=["dev", "heldout", "all"])
    ap.add_argument("--show", action="store_true", help="print every typed row")
    ap.add_argument("--compose-with", type=Path, default=None,
                    help="stored predictions of a passages-design run: write predictions of answer_mode 'typed' "
                         "(typed rows from the template, declines by evidence_min_score, every other row the "
                         "stored answer) to --out, for `rag eval --predictions` to score")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    s = Settings.load()
    rag = RAG(s)
    e = rag.embedder
    docs = DiskVectors(e.embed_documents, e.fingerprint)
    ranker = EvidenceRanker.from_settings(s, e.embed_queries, docs, rag.store.language_offsets)
    rows = [r for r in read_jsonl(SEEDS_QA) if args.split == "all" or split_of(r["id"]) == args.split]
    stored = {}
    if args.compose_with:
        stored = {str(p["id"]): p for p in map(json.loads, args.compose_with.read_text().splitlines()) if p}
    composed: list[dict[str, Any]] = []
    tally: Counter[str] = Counter()
    scores: list[dict[str, Any]] = []
    for row in rows:
        q = row["question"]
        query = condense(q, row.get("history") or []) or q
        hits = rag.retriever.search(query, s.retrieve_depth)
        lang = question_language(q, "auto")
        kind = question_kind(q)
        pool = hits[: s.evidence_hits]
        ranked = ranker.rank(q, query, pool)
        top = ranked[: s.evidence_sentences]
        best_score = ranked[0].score if ranked else 0.0
        scores.append({"id": row["id"], "answerable": row["answerable"], "score": best_score, "kind": kind})
        weak = best_score < s.evidence_min_score
        old = dict(stored.get(row["id"], {}), id=row["id"])
        if weak:
            composed.append(dict(old, answer="(declined)", abstained=True, citations=[], path="", kind=kind or ""))
        if kind not in s.typed_kinds.split(","):
            tally[f"open {'answerable' if row['answerable'] else 'unanswerable'}"] += 1
            if not weak:
                composed.append(quote_or(old, ranked[0], pool, q, row, kind or "", s.quote_min_sentence, tally))
            continue
        cands = extract(kind, q, lang, top, pool, docs, top=s.evidence_sentences)
        if kind in ("person", "number") and args.show:  # the role / counted-noun agreement of each
            print(f"{row['id']} {'roles' if kind == 'person' else 'nouns'}: "
                  + "; ".join(f"{c.text} {c.agreement:.3f}" for c in cands[:4]))
        cands = role_matched(cands, s.typed_min_role)  # as the product does (rag.answer.grounded)
        if not weak and not cands:
            composed.append(dict(old, answer="(declined)", abstained=True, citations=[], path="", kind=kind))
        if weak or not cands:
            if kind in STRICT or weak:
                tally["typed declined, " + ("answerable" if row["answerable"] else "unanswerable")] += 1
                if args.show:
                    print(f"{row['id']} {kind:12} DECLINED  {q[:70]}")
                continue
            tally["typed without candidate -> LLM"] += 1
            continue
        if not sentence_close_enough(cands[0], s.typed_min_sentence):
            if kind in STRICT:  # declined without the LLM, as rag.answer.grounded does
                tally["typed declined (sentence too far), "
                      + ("answerable" if row["answerable"] else "unanswerable")] += 1
                composed.append(dict(old, answer="(declined)", abstained=True, citations=[], path="", kind=kind))
                if args.show:
                    print(f"{row['id']} {kind:12} DECLINED  (sentence too far) {q[:52]}")
                continue
            tally["typed, sentence too far -> LLM, " + ("answerable" if row["answerable"] else "unanswerable")] += 1
            if not weak:
                composed.append(quote_or(old, ranked[0], pool, q, row, kind, s.quote_min_sentence, tally))
            if args.show:
                print(f"{row['id']} {kind:12} TO-LLM    {q[:70]}")
            continue
        answer = template(cands[0].text, 1, lang)
        c = cands[0]
        ch = pool[c.sentence.hit].chunk
        composed.append(dict(old, answer=answer, abstained=False, kind=kind, path="template", timings={},
                             citations=[{"n": 1, "source": ch.source, "chunk_id": ch.id, "text": ch.text,
                                         "start": ch.start + c.sentence.start, "end": ch.start + c.sentence.end,
                                         "quote": c.sentence.text, "verified": True, "support": c.sentence.score}]))
        ok = bool(row["answerable"]) and accuracy(answer, row["answers"])
        tally["typed answered, " + ("correct" if ok else "wrong" if row["answerable"] else "unanswerable")] += 1
        if args.show:
            print(f"{row['id']} {kind:12} {'OK ' if ok else 'BAD'} {answer[:40]:40} {q[:60]}")
    docs.save()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in composed), encoding="utf-8")
    for k, v in sorted(tally.items()):
        print(f"{k}: {v}")
    ans = sorted(x["score"] for x in scores if x["answerable"])
    un = sorted(x["score"] for x in scores if not x["answerable"])
    print("best sentence score, answerable (min, p10, median):", [round(ans[i], 3) for i in (0, len(ans) // 10,
                                                                                           len(ans) // 2)])
    print("best sentence score, unanswerable (sorted):", [round(x, 3) for x in un])


if __name__ == "__main__":
    main()
