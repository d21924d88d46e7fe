#!/usr/bin/env python3
"""Validate evals/datasets/seeds_qa.jsonl (schema, quotas, evidence).

Usage (from the repo root or anywhere):
    python3 evals/datasets/check_seeds_qa.py [--file PATH] [--seeds-dir DIR ...]

Checks
  * schema of every row (field names, types, allowed values, unique ids);
  * sources exist in <repo>/seeds or <repo>/../shared/seeds (or --seeds-dir);
  * every answerable row has an "evidence" quote that occurs VERBATIM in one
    of its source files, and at least one answer occurs (case-insensitively,
    after light normalisation) in a source file or the evidence is verbatim;
  * stricter consistency: for non yes/no rows at least one answer form occurs
    in the evidence (normalised), and every "list_items" group has a member
    in the evidence;
  * the cross-lingual / same-language tag agrees with the languages of the
    source files;
  * quotas: >= 96 rows, >= 32 per question language, >= 40 % cross-lingual,
    >= 15 % unanswerable, >= 10 follow-up conversations of 2-3 turns, every
    seed document covered, every question type present.
Prints the counts and exits non-zero on any failure.  Standard library only.
"""
import argparse
import collections
import contextlib
import json
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

LANGS = ("az", "ru", "en")
# Languages of the passages in each seed file (003 holds the English press
# release followed by its Azerbaijani version).
SOURCE_LANGS = {
    "000_e8cbea2a3f3f1870.txt": {"az"},
    "001_faf6009e75f031a2.txt": {"az"},
    "002_9a92d8eb77b572ee.txt": {"ru"},
    "003_03dc5b1e6d01ec1c.txt": {"en", "az"},
    "004_ea1bac4f70fb5b9a.txt": {"az"},
}
ALLOWED_TAGS = {
    "cross-lingual", "same-language", "number", "date", "name", "list",
    "yes-no", "why", "what", "follow-up", "unanswerable", "off-topic",
}
QTYPE_TAGS = ("number", "date", "name", "list", "yes-no", "why", "what")
REQUIRED = {"id": str, "lang": str, "question": str, "answers": list,
            "sources": list, "answerable": bool}
OPTIONAL = {"history", "tags", "evidence", "list_items", "polarity", "note"}
YES_FORMS = {"yes", "bəli", "да", "hə"}
NO_FORMS = {"no", "xeyr", "yox", "нет"}

QUOTAS = {
    "min_rows": 96,
    "min_per_lang": 32,
    "min_cross_share": 0.40,
    "min_unanswerable_share": 0.15,
    "min_followup_conversations": 10,
    "min_rows_per_source": 8,
    "min_per_qtype": 3,
    "min_off_topic": 3,
    "min_plausible_unanswerable": 3,
}

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_QUOTES = dict.fromkeys(map(ord, "\u201c\u201d\u201e\u00ab\u00bb\u2033"), '"')
_QUOTES.update(dict.fromkeys(map(ord, "\u2018\u2019\u201a\u2032"), "'"))


def norm(s):
    """Light normalisation used for the case-insensitive checks."""
    s = unicodedata.normalize("NFKC", s).casefold()
    s = s.replace("\u0307", "")  # 'İ'.casefold() == 'i' + U+0307
    s = s.replace("ё", "е")
    s = s.translate(_DASHES).translate(_QUOTES)
    return re.sub(r"\s+", " ", s).strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--file", default=str(HERE / "seeds_qa.jsonl"))
    ap.add_argument("--seeds-dir", action="append", default=None,
                    help="directory holding the seed .txt files (repeatable)")
    args = ap.parse_args()

    seed_dirs = [Path(d) for d in args.seeds_dir] if args.seeds_dir else [
        REPO / "seeds", REPO.parent / "shared" / "seeds"]
    errors = []

    def err(rid, msg):
        errors.append(f"{rid}: {msg}")

    def find_source(name):
        for d in seed_dirs:
            p = d / name
            if p.is_file():
                return p
        return None

    texts = {}  # name -> raw text

    rows = []
    with open(args.file, encoding="utf-8") as fh:
        for ln, line in enumerate(fh, 1):
            if not line.strip():
                err(f"line {ln}", "empty line")
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                err(f"line {ln}", f"invalid JSON: {exc}")

    seen_ids = set()
    seen_q = set()
    lit_in_source = 0
    n_lit_rows = 0
    for r in rows:
        rid = r.get("id", "<no id>")
        # ---- schema -------------------------------------------------------
        for k, typ in REQUIRED.items():
            if k not in r:
                err(rid, f"missing field {k!r}")
            elif not isinstance(r[k], typ):
                err(rid, f"field {k!r} must be {typ.__name__}")
        extra = set(r) - set(REQUIRED) - OPTIONAL
        if extra:
            err(rid, f"unknown fields {sorted(extra)}")
        if any(k not in r or not isinstance(r[k], REQUIRED[k]) for k in REQUIRED):
            continue
        if not re.fullmatch(r"(az|ru|en)-\d{3}", rid):
            err(rid, "id must look like az-001")
        elif rid[:2] != r["lang"]:
            err(rid, "id prefix differs from lang")
        if rid in seen_ids:
            err(rid, "duplicate id")
        seen_ids.add(rid)
        if r["lang"] not in LANGS:
            err(rid, f"bad lang {r['lang']!r}")
        if not r["question"].strip():
            err(rid, "empty question")
        if not all(isinstance(a, str) and a.strip() for a in r["answers"]):
            err(rid, "answers must be non-empty strings")
        if len({a.strip().casefold() for a in r["answers"]}) != len(r["answers"]):
            err(rid, "duplicate answer forms")
        long = [a for a in r["answers"] if len(a.split()) > 8]
        if long:
            err(rid, f"answer forms too long (>8 words): {long}")
        tags = r.get("tags", [])
        if not isinstance(tags, list) or not all(t in ALLOWED_TAGS for t in tags):
            err(rid, f"bad tags {tags}")
            tags = [t for t in tags if t in ALLOWED_TAGS] if isinstance(tags, list) else []
        if len(set(tags)) != len(tags):
            err(rid, "duplicate tags")
        hist = r.get("history")
        key = (r["lang"], norm(r["question"]),
               json.dumps(hist, ensure_ascii=False, sort_keys=True))
        if key in seen_q:
            err(rid, "duplicate question (same lang, text and history)")
        seen_q.add(key)

        # ---- history --------------------------------------------------------
        if hist is not None:
            ok = (isinstance(hist, list) and len(hist) in (2, 4)
                  and all(isinstance(t, dict) and set(t) == {"role", "content"}
                          and isinstance(t["content"], str) and t["content"].strip()
                          for t in hist))
            if ok:
                roles = [t["role"] for t in hist]
                ok = roles == ["user", "assistant"] * (len(hist) // 2)
            if not ok:
                err(rid, "history must be 1-2 user/assistant pairs "
                         "(conversation of 2-3 turns)")
            if "follow-up" not in tags:
                err(rid, "row with history must be tagged follow-up")
        elif "follow-up" in tags:
            err(rid, "follow-up tag without history")

        # ---- sources --------------------------------------------------------
        for s in r["sources"]:
            if s not in SOURCE_LANGS:
                err(rid, f"unknown source {s!r}")
                continue
            p = find_source(s)
            if p is None:
                err(rid, f"source file not found: {s}")
            elif s not in texts:
                texts[s] = p.read_text(encoding="utf-8")

        if r["answerable"]:
            if not r["answers"]:
                err(rid, "answerable row without answers")
            if not r["sources"]:
                err(rid, "answerable row without sources")
            if "unanswerable" in tags or "off-topic" in tags:
                err(rid, "answerable row tagged unanswerable/off-topic")
            cl = [t for t in tags if t in ("cross-lingual", "same-language")]
            if len(cl) != 1:
                err(rid, "answerable row needs exactly one of cross-lingual/same-language")
            else:
                src_langs = set().union(*(SOURCE_LANGS.get(s, set()) for s in r["sources"]))
                expect = "same-language" if r["lang"] in src_langs else "cross-lingual"
                if cl[0] != expect:
                    err(rid, f"tagged {cl[0]} but sources' languages {sorted(src_langs)} "
                             f"and question lang {r['lang']} imply {expect}")
            if not any(t in tags for t in QTYPE_TAGS):
                err(rid, "answerable row without a question-type tag")
            ev = r.get("evidence")
            evs: list[str]
            if ev is None:
                err(rid, "answerable row without evidence")
                evs = []
            else:
                evs = [ev] if isinstance(ev, str) else ev
                if not (isinstance(evs, list) and evs
                        and all(isinstance(e, str) and e.strip() for e in evs)):
                    err(rid, "evidence must be a non-empty string or list of strings")
                    evs = []
            src_texts = [texts[s] for s in r["sources"] if s in texts]
            ev_ok = bool(evs)
            for quote in evs:
                if not any(quote in t for t in src_texts):
                    ev_ok = False
                    err(rid, f"evidence not found verbatim in sources: {quote[:80]!r}")
            # yes/no words ("да", "hə") occur inside ordinary words, so for
            # yes-no rows only the verbatim evidence counts as support.
            is_yn = "yes-no" in tags
            ans_in_src = (not is_yn) and any(
                norm(a) in norm(t) for a in r["answers"] for t in src_texts)
            lit_in_source += ans_in_src
            n_lit_rows += not is_yn
            if not (ans_in_src or ev_ok):
                err(rid, "no answer occurs in the sources and no verbatim evidence")
            ev_norm = norm(" ".join(evs))
            # yes/no rows
            if "yes-no" in tags:
                pol = r.get("polarity")
                if pol not in ("yes", "no"):
                    err(rid, "yes-no row needs polarity 'yes' or 'no'")
                else:
                    forms = YES_FORMS if pol == "yes" else NO_FORMS
                    if not {norm(a) for a in r["answers"]} <= forms:
                        err(rid, f"yes-no answers must be {pol}-words: {sorted(forms)}")
            else:
                if "polarity" in r:
                    err(rid, "polarity on a row not tagged yes-no")
                if evs and not any(norm(a) in ev_norm for a in r["answers"]):
                    err(rid, "no answer form occurs in the evidence")
            # list rows
            li = r.get("list_items")
            if "list" in tags and li is None:
                err(rid, "list row needs list_items")
            if li is not None:
                if "list" not in tags:
                    err(rid, "list_items on a row not tagged list")
                if not (isinstance(li, list) and len(li) >= 2 and all(
                        isinstance(g, list) and g and all(isinstance(x, str) and x for x in g)
                        for g in li)):
                    err(rid, "list_items must be a list of >=2 non-empty lists of strings")
                else:
                    ans_n = {norm(a) for a in r["answers"]}
                    for g in li:
                        if not any(norm(x) in ev_norm for x in g):
                            err(rid, f"list item group not supported by evidence: {g[:3]}")
                        if not all(norm(x) in ans_n for x in g):
                            err(rid, f"list item forms missing from answers: {g[:3]}")
        else:
            if r["answers"] or r["sources"]:
                err(rid, "unanswerable row must have answers [] and sources []")
            if "unanswerable" not in tags:
                err(rid, "unanswerable row must be tagged unanswerable")
            if any(t in tags for t in ("cross-lingual", "same-language")):
                err(rid, "unanswerable row must not carry cross-lingual/same-language")
            for k in ("evidence", "list_items", "polarity"):
                if k in r:
                    err(rid, f"unanswerable row must not have {k}")

    # ---- counts and quotas ------------------------------------------------
    n = len(rows)
    good = [r for r in rows if isinstance(r.get("lang"), str) and isinstance(r.get("tags", []), list)]
    per_lang = collections.Counter(r["lang"] for r in good)
    tag_c = collections.Counter(t for r in good for t in r.get("tags", []))
    cross = tag_c["cross-lingual"]
    unans = sum(1 for r in good if r.get("answerable") is False)
    off = tag_c["off-topic"]
    lang_x = collections.Counter(
        (r["lang"], "unanswerable" if not r.get("answerable") else
         ("cross" if "cross-lingual" in r.get("tags", []) else "same")) for r in good)
    convs = collections.defaultdict(set)
    for r in good:
        if r.get("history"):
            with contextlib.suppress(KeyError, IndexError, TypeError):
                convs[(r["lang"], r["history"][0]["content"])].add(len(r["history"]) // 2 + 1)
    fu_rows = sum(1 for r in good if r.get("history"))
    src_c = collections.Counter(s for r in good for s in r.get("sources", []))
    turns_c = collections.Counter(max(v) for v in convs.values())

    print(f"file: {args.file}")
    print(f"rows: {n}")
    for lang in LANGS:
        print(f"  {lang}: {per_lang[lang]:3d}  (same-language {lang_x[(lang, 'same')]}, "
              f"cross-lingual {lang_x[(lang, 'cross')]}, unanswerable {lang_x[(lang, 'unanswerable')]})")
    print(f"answerable: {n - unans}")
    print(f"cross-lingual: {cross} ({cross / max(n, 1):.1%} of all rows, "
          f"{cross / max(n - unans, 1):.1%} of answerable)")
    print(f"unanswerable: {unans} ({unans / max(n, 1):.1%}); off-topic {off}, "
          f"plausible-but-absent {unans - off}")
    print(f"follow-up rows: {fu_rows}; conversations: {len(convs)} "
          f"(longest turn count -> conversations: {dict(sorted(turns_c.items()))})")
    print("rows per source file:")
    for s in sorted(SOURCE_LANGS):
        print(f"  {s}: {src_c[s]}")
    print("tags: " + ", ".join(f"{t}={tag_c[t]}" for t in sorted(tag_c)))
    print(f"answerable non-yes/no rows with an answer form (normalised) in a source file: "
          f"{lit_in_source}/{n_lit_rows}; every answerable row has a verbatim evidence quote")

    q = QUOTAS
    def need(cond, msg):
        if not cond:
            errors.append("QUOTA: " + msg)
    need(n >= q["min_rows"], f"rows {n} < {q['min_rows']}")
    for lang in LANGS:
        need(per_lang[lang] >= q["min_per_lang"], f"{lang} rows {per_lang[lang]} < {q['min_per_lang']}")
    need(cross >= q["min_cross_share"] * n, f"cross-lingual share {cross}/{n} < 40%")
    need(unans >= q["min_unanswerable_share"] * n, f"unanswerable share {unans}/{n} < 15%")
    need(len(convs) >= q["min_followup_conversations"],
         f"follow-up conversations {len(convs)} < {q['min_followup_conversations']}")
    for s in SOURCE_LANGS:
        need(src_c[s] >= q["min_rows_per_source"], f"source {s} used by {src_c[s]} rows")
    for t in QTYPE_TAGS:
        need(tag_c[t] >= q["min_per_qtype"], f"tag {t} used {tag_c[t]} times")
    need(off >= q["min_off_topic"], f"off-topic rows {off}")
    need(unans - off >= q["min_plausible_unanswerable"], f"plausible unanswerable rows {unans - off}")

    if errors:
        print(f"\nFAILED with {len(errors)} problem(s):")
        for problem in errors:
            print("  - " + problem)
        return 1
    print("\nOK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
