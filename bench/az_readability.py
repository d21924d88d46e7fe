"""Can any step other than the embedder read Azerbaijani? Two probes of the limit behind the seed figures.

Four of the five seed articles are Azerbaijani and the default LLM (Qwen2.5-Coder 1.5B) was seen to
invent when it translates them. Two designs that would let it read them anyway are measured here:

1. **translation** — the LLM translates seed sentences into English: Russian sentences (a language it
   reads, the calibration), Azerbaijani sentences, and the same Azerbaijani sentences spelled the Turkish
   way (ə→e, x→h, q→k; the model has seen far more Turkish than Azerbaijani). The embedder, which reads
   all three languages (SIB-200 az↔en recall@1 ≥ 0.92), scores each translation by its cosine to its
   own source sentence ("matched") and to the other sources' translations ("shuffled": the cosine of an
   unrelated pair). What a faithful translation scores is measured on human translations: the SIB-200
   (FLORES-200) az→en and ru→en sentence pairs the project holds.
2. **gloss** — the nearest English word, by the embedder, of each Azerbaijani word of a small lexicon of
   common words (language data below, inflected as in news text), among the ``--vocab`` most frequent
   English words (wordfreq), raw and with each language's mean vector removed ("centred"). A usable
   word-by-word gloss for the LLM would need most of these right.
3. **what depends on it** — the answerable seed questions asked in English or Russian whose evidence
   is Azerbaijani and whose kind is not read by rules (``Settings.typed_kinds``): the LLM must read
   Azerbaijani to answer them, so they bound the accuracy reachable without a model that does.

    flock /tmp/rag-heavy.lock .venv/bin/python bench/az_readability.py    # ~10 min; needs `pip install wordfreq==3.1.1`
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import (
    SEEDS_QA,
    SIB_PAIRS,
    command_line,
    finish_machine_info,
    load_embedder,
    machine_info,
    machine_md,
    md_table,
    read_jsonl,
    write_results,
)

from evals.split import split_of
from rag.answer.candidates import question_kind
from rag.langid import detect_language
from rag.llm.base import LLM
from rag.llm.factory import load_llm
from rag.settings import PROJECT_ROOT, Settings
from rag.text.sentences import split_sentences

# Common Azerbaijani words in the forms news text uses, with the English words that translate them.
LEXICON: dict[str, tuple[str, ...]] = {
    "miqrasiya": ("migration",), "beynəlxalq": ("international",), "dövləti": ("state", "country"),
    "təşkilatı": ("organization", "organisation"), "hökumət": ("government",), "ölkələr": ("countries",),
    "qaçqınların": ("refugees", "refugee"), "iclası": ("meeting", "session"), "görüş": ("meeting",),
    "təhsil": ("education",), "əmək": ("labour", "labor", "work"), "bazarı": ("market",),
    "məqsədi": ("goal", "purpose", "aim"), "şərait": ("conditions", "condition"),
    "əməkdaşlıq": ("cooperation", "collaboration"), "nümayəndəsi": ("representative",),
    "rəhbəri": ("head", "leader", "chief"), "sənəd": ("document",), "layihəsi": ("project",),
    "imzalanmış": ("signed",), "nəticələr": ("results",), "inkişaf": ("development",),
    "dayanıqlı": ("sustainable",), "tərəfdaşlar": ("partners",), "siyasəti": ("policy", "politics"),
    "yaşayış": ("housing", "living", "residence"), "dəstək": ("support",), "məlumat": ("information",),
    "ikinci": ("second",), "üçüncü": ("third",), "dörd": ("four",), "illər": ("years",),
    "sədri": ("chairman", "chair", "president"), "vətəndaşlar": ("citizens",), "qanuni": ("legal", "lawful"),
    "təhlükəsiz": ("safe", "secure"), "nizamlı": ("orderly", "regular"), "müzakirə": ("discussion",),
    "tədbir": ("event",), "forum": ("forum",),
}
LANG_NAMES = {"ru": "Russian", "az": "Azerbaijani"}
TURKISH_SPELLING = str.maketrans({"ə": "e", "Ə": "E", "x": "h", "X": "H", "q": "k", "Q": "K"})
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
SYSTEM = "You are a careful translator. Reply with the English translation only."


def seed_sentences(lang: str, n: int) -> list[str]:
    """The first ``n`` sentences of 8-35 words in ``lang`` across the seed articles, in file order."""
    out: list[str] = []
    for path in sorted((PROJECT_ROOT / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        if detect_language(text) != lang:
            continue
        for a, b in split_sentences(text, lang):
            s = " ".join(text[a:b].split())
            if 8 <= len(s.split()) <= 35:
                out.append(s)
    return out[:n]


def translate(llm: LLM, sentences: list[str], lang_name: str) -> list[str]:
    out = []
    for s in sentences:
        msgs = [{"role": "system", "content": SYSTEM},
                {"role": "user", "content": f"Translate this {lang_name} sentence into English:\n{s}"}]
        out.append(" ".join("".join(llm.stream_chat(msgs, max_tokens=120)).split()))  # type: ignore[arg-type]
        print(f"  {lang_name}: {s[:70]}\n    -> {out[-1][:140]}", file=sys.stderr)
    return out


def matched_and_shuffled(embed: Any, sources: list[str], translations: list[str]) -> tuple[float, float]:
    """Mean cosine of each source to its own translation, and to the translations of the other sources."""
    a, b = embed(sources), embed(translations)
    sims = a @ b.T
    n = len(sources)
    off = sims[~np.eye(n, dtype=bool)]
    return float(np.mean(np.diag(sims))), float(np.mean(off))


def gloss(embed: Any, vocab_size: int, az_corpus: list[str]) -> dict[str, Any]:
    try:
        from wordfreq import top_n_list
    except ImportError:
        sys.exit("error: the gloss probe needs the English word list of wordfreq\n"
                 "fix: .venv/bin/pip install wordfreq==3.1.1 (a PyPI package that carries its data)")
    words = [w for w in top_n_list("en", vocab_size) if w.isascii() and w.isalpha() and len(w) >= 3]
    missing = sorted({t for ts in LEXICON.values() for t in ts} - set(words))
    print(f"gloss: {len(words)} English words; translations not among them: {missing}", file=sys.stderr)
    vocab = embed(words)
    az_words = list(dict.fromkeys(w for s in az_corpus for w in WORD.findall(s)))
    az_mean = embed(az_words).mean(0)
    keys = list(LEXICON)
    az = embed(keys)

    def unit(x: np.ndarray) -> np.ndarray:
        return x / np.linalg.norm(x, axis=-1, keepdims=True)

    result: dict[str, Any] = {"vocab": len(words), "lexicon": len(keys), "rows": []}
    for name, (q, v) in {"raw": (az, vocab), "centred": (unit(az - az_mean), unit(vocab - vocab.mean(0)))}.items():
        order = np.argsort(-(q @ v.T), axis=1)[:, :5]
        top1 = [words[o[0]] for o in order]
        hit1 = sum(t in LEXICON[k] for k, t in zip(keys, top1, strict=True))
        hit5 = sum(any(words[j] in LEXICON[k] for j in o) for k, o in zip(keys, order, strict=True))
        result[name] = {"at1": hit1 / len(keys), "at5": hit5 / len(keys)}
        result["rows"].append({"space": name, "nearest": dict(zip(keys, top1, strict=True))})
    return result


def needs_azerbaijani(typed_kinds: str) -> list[tuple[Any, ...]]:
    """Per half and question language: answerable rows, and those only a reader of Azerbaijani answers."""
    typed = set(typed_kinds.split(","))
    rows = [r for r in read_jsonl(SEEDS_QA) if r["answerable"]]
    out: list[tuple[Any, ...]] = []
    for half in ("dev", "heldout"):
        for lang in ("en", "ru"):
            mine = [r for r in rows if split_of(r["id"]) == half and r["lang"] == lang]
            cross = [r for r in mine if "cross-lingual" in r["tags"]]
            need = [r for r in cross if (question_kind(r["question"]) or "open") not in typed
                    and detect_language(str(r.get("evidence") or "")) == "az"]
            out.append((half, lang, len(mine), len(cross), len(need), 1 - len(need) / max(1, len(cross))))
        half_rows = [r for r in rows if split_of(r["id"]) == half]
        need_all = sum(x[4] for x in out[-2:])
        out.append((half, "all", len(half_rows), "", need_all, 1 - need_all / len(half_rows)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sentences", type=int, default=10, help="sentences per language")
    ap.add_argument("--vocab", type=int, default=14000, help="most frequent English words to gloss into")
    ap.add_argument("--reference-pairs", type=int, default=100, help="SIB-200 pairs giving the faithful level")
    args = ap.parse_args()
    info = machine_info()
    s = Settings.load()
    embedder = load_embedder(s)
    embed = embedder.embed_documents
    az_all = seed_sentences("az", 10_000)  # every one: the gloss centres on their words
    az, ru = az_all[: args.sentences], seed_sentences("ru", args.sentences)
    g = gloss(embed, args.vocab, az_all)
    conditions = [("Russian (calibration)", ru, "Russian"), ("Azerbaijani", az, "Azerbaijani"),
                  ("Azerbaijani in Turkish spelling", [x.translate(TURKISH_SPELLING) for x in az], "Turkish")]
    sib = read_jsonl(SIB_PAIRS)[: args.reference_pairs]
    llm = load_llm(s)  # once, for the three conditions
    rows: list[tuple[Any, ...]] = []
    data_rows: list[dict[str, Any]] = []
    for lang in ("ru", "az"):
        matched, shuffled = matched_and_shuffled(embed, [r[lang] for r in sib], [r["en"] for r in sib])
        label = f"{LANG_NAMES[lang]}, human translation (SIB-200)"
        rows.append((label, len(sib), matched, shuffled, matched - shuffled))
    for label, sources, lang_name in conditions:
        out = translate(llm, sources, lang_name)
        matched, shuffled = matched_and_shuffled(embed, sources, out)
        rows.append((label, len(sources), matched, shuffled, matched - shuffled))
        data_rows.append({"condition": label, "sources": sources, "translations": out,
                          "matched": matched, "shuffled": shuffled})
    info = finish_machine_info(info)
    ceiling = needs_azerbaijani(s.typed_kinds)
    md = "\n\n".join([
        f"# Can the LLM or a word gloss read Azerbaijani? ({s.llm} LLM, embedder {s.embedder})",
        f"Command: `{command_line()}`",
        machine_md(info),
        "## Translation into English, scored by the embedder against the source sentence",
        md_table(["source → English", "sentences", "cosine to its own translation", "cosine to the others'",
                  "margin"], rows),
        "The human-translation rows give the level of a faithful translation for each source language. For "
        "Azerbaijani the cosine does not separate faithful from invented translations: names and numbers copied "
        "into an invented sentence score like a human translation. Read the translations in the JSON.",
        f"## Word gloss: nearest of {g['vocab']} English words to {g['lexicon']} common Azerbaijani words",
        md_table(["space", "right at 1", "right in top 5"],
                 [(k, g[k]["at1"], g[k]["at5"]) for k in ("raw", "centred")]),
        "Nearest word (centred): " + ", ".join(f"{k} → {v}" for k, v in g["rows"][1]["nearest"].items()),
        "## Seed questions only a reader of Azerbaijani answers (answerable; open kinds, Azerbaijani evidence)",
        md_table(["half", "question language", "answerable", "cross-lingual", "need Azerbaijani read",
                  "best reachable (cross-lingual; 'all': every answerable row)"], ceiling),
    ])
    write_results("az_readability", {"info": {k: v for k, v in info.items() if not k.startswith("_")},
                                     "translation": data_rows, "gloss": g, "needs_azerbaijani": ceiling}, md)


if __name__ == "__main__":
    main()
