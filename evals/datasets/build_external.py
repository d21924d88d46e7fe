#!/usr/bin/env python3
"""Build the external evaluation sets from ../shared/data (XQuAD, SIB-200).

Usage (from anywhere):
    python3 evals/datasets/build_external.py [--data-dir DIR] [--out-dir DIR]
                                             [--seed 13] [--per-direction 60]

Reads  <data-dir>/xquad/xquad.{en,ru}.json        (SQuAD v1.1, parallel)
       <data-dir>/sib200/{azj_Latn,eng_Latn,rus_Cyrl}/{dev,train}.tsv
Writes <out-dir>/xquad_qa.jsonl
       <out-dir>/xquad_corpus/{en,ru}/xquad_<lang>_<AA>_<PP>.txt
       <out-dir>/sib200_pairs.jsonl
       <out-dir>/LICENSE-xquad                    (copy of xquad/LICENSE)

Deterministic: the same inputs, seed and cap give byte-identical outputs.
Selection: the XQuAD question ids are listed in file order (article,
paragraph, question); for each of the four directions, in the fixed order
en->en, ru->ru, ru->en, en->ru, random.Random(seed) (one generator, used in
that order) draws `per-direction` ids with rng.sample; the drawn rows are
then sorted back into file order.  The corpus of a language holds every
paragraph of every article touched by a direction that indexes that
language (gold paragraphs plus same-article distractors).
Standard library only.
"""
import argparse
import csv
import json
import random
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"

# (question language, corpus language) in the order they are sampled.
DIRECTIONS = [("en", "en"), ("ru", "ru"), ("ru", "en"), ("en", "ru")]
SIB_LANGS = {"az": "azj_Latn", "ru": "rus_Cyrl", "en": "eng_Latn"}
SIB_SPLITS = ("dev", "train")


def doc_name(lang, a, p):
    return f"xquad_{lang}_{a:02d}_{p:02d}.txt"


def clean(text):
    return text.lstrip("\ufeff").strip()


def uniq(xs):
    out = []
    for x in xs:
        x = clean(x)
        if x and x not in out:
            out.append(x)
    return out


def load_xquad(data_dir):
    sets = {}
    for lang in ("en", "ru"):
        with open(data_dir / "xquad" / f"xquad.{lang}.json", encoding="utf-8-sig") as fh:
            sets[lang] = json.load(fh)["data"]
    en, ru = sets["en"], sets["ru"]
    # Parallelism check: same articles, paragraph counts and question ids.
    if len(en) != len(ru):
        sys.exit("xquad: article counts differ")
    for a, (ae, ar) in enumerate(zip(en, ru, strict=True)):
        if ae.get("title") != ar.get("title") or len(ae["paragraphs"]) != len(ar["paragraphs"]):
            sys.exit(f"xquad: article {a} is not parallel")
        for p, (pe, pr) in enumerate(zip(ae["paragraphs"], ar["paragraphs"], strict=True)):
            if [q["id"] for q in pe["qas"]] != [q["id"] for q in pr["qas"]]:
                sys.exit(f"xquad: question ids differ in article {a} paragraph {p}")
    return sets


def build_xquad(data_dir, out_dir, seed, cap):
    sets = load_xquad(data_dir)
    # index: qid -> (article, paragraph, {lang: qa})
    order, index = [], {}
    for a, art in enumerate(sets["en"]):
        for p, par in enumerate(art["paragraphs"]):
            for k, qa in enumerate(par["qas"]):
                qid = qa["id"]
                order.append(qid)
                index[qid] = (a, p, {"en": qa, "ru": sets["ru"][a]["paragraphs"][p]["qas"][k]})
    pos = {qid: i for i, qid in enumerate(order)}

    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    needed: dict[str, set[int]] = {"en": set(), "ru": set()}
    for qlang, clang in DIRECTIONS:
        picked = sorted(rng.sample(order, min(cap, len(order))), key=pos.__getitem__)
        cross = qlang != clang
        for n, qid in enumerate(picked, 1):
            a, p, qas = index[qid]
            answers = uniq(x["text"] for x in qas[qlang]["answers"])
            if cross:  # the model answers in the question's language: accept both
                answers = uniq(answers + [x["text"] for x in qas[clang]["answers"]])
            rows.append({
                "id": f"xquad-{qlang}-{clang}-{n:03d}",
                "lang": qlang,
                "question": clean(qas[qlang]["question"]),
                "answers": answers,
                "sources": [doc_name(clang, a, p)],
                "answerable": True,
                "tags": ["cross-lingual" if cross else "same-language"],
                "corpus": clang,
                "xquad_id": qid,
                "title": sets["en"][a]["title"],
            })
            needed[clang].add(a)

    # corpus: all paragraphs of every needed article, one file per paragraph
    corpus_root = out_dir / "xquad_corpus"
    n_files, n_bytes = {}, 0
    for lang in ("en", "ru"):
        d = corpus_root / lang
        d.mkdir(parents=True, exist_ok=True)
        for old in d.glob("xquad_*.txt"):
            old.unlink()
        n_files[lang] = 0
        for a in sorted(needed[lang]):
            for p, par in enumerate(sets[lang][a]["paragraphs"]):
                data = (clean(par["context"]) + "\n").encode("utf-8")
                (d / doc_name(lang, a, p)).write_bytes(data)
                n_files[lang] += 1
                n_bytes += len(data)

    with open(out_dir / "xquad_qa.jsonl", "w", encoding="utf-8", newline="\n") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    shutil.copyfile(data_dir / "xquad" / "LICENSE", out_dir / "LICENSE-xquad")

    # sanity: every source file exists
    for r in rows:
        if not (corpus_root / r["corpus"] / r["sources"][0]).is_file():
            sys.exit(f"missing corpus file for {r['id']}")
    per_dir: dict[str, int] = {}
    for r in rows:
        direction = f"{r['lang']}->{r['corpus']}"
        per_dir[direction] = per_dir.get(direction, 0) + 1
    print(f"xquad_qa.jsonl: {len(rows)} questions {per_dir}")
    print(f"xquad_corpus: en {n_files['en']} paragraphs "
          f"({len(needed['en'])} articles), ru {n_files['ru']} paragraphs "
          f"({len(needed['ru'])} articles), {n_bytes / 1e6:.2f} MB")


def read_tsv(path):
    """SIB-200 TSVs use CSV-style quoting (fields wrapped in quotes, inner
    quotes doubled), as written by pandas; parse them with the csv module."""
    rows = {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quotechar='"')
        header = next(reader)
        if header[:3] != ["index_id", "category", "text"]:
            sys.exit(f"{path}: unexpected header {header}")
        for parts in reader:
            if not parts:
                continue
            if len(parts) != 3:
                sys.exit(f"{path}:{reader.line_num}: expected 3 columns, got {len(parts)}")
            iid, cat, text = (x.strip() for x in parts)
            if iid in rows:
                sys.exit(f"{path}:{reader.line_num}: duplicate index_id {iid}")
            rows[iid] = (cat, text)
    return rows


def build_sib(data_dir, out_dir):
    per_lang: dict[str, dict[str, tuple[str, str]]] = {}
    split_of: dict[str, str] = {}
    for lang, folder in SIB_LANGS.items():
        merged = {}
        for split in SIB_SPLITS:
            part = read_tsv(data_dir / "sib200" / folder / f"{split}.tsv")
            for iid, v in part.items():
                if iid in merged:
                    sys.exit(f"sib200 {folder}: index_id {iid} in more than one split")
                merged[iid] = v
                if split_of.setdefault(iid, split) != split:
                    sys.exit(f"sib200: index_id {iid} is in different splits across languages")
        per_lang[lang] = merged
    common = set.intersection(*(set(m) for m in per_lang.values()))
    rows = []
    for iid in sorted(common, key=lambda x: (int(x) if x.isdigit() else 10**9, x)):
        cats = {per_lang[lang][iid][0] for lang in SIB_LANGS}
        if len(cats) != 1:
            sys.exit(f"sib200: index_id {iid} has different categories {cats}")
        rows.append({"id": iid, "category": cats.pop(), "split": split_of[iid],
                     **{lang: per_lang[lang][iid][1] for lang in ("az", "ru", "en")}})
    with open(out_dir / "sib200_pairs.jsonl", "w", encoding="utf-8", newline="\n") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    dropped = {lang: len(m) - len(common) for lang, m in per_lang.items()}
    cat_counts: dict[str, int] = {}
    for r in rows:
        cat_counts[r["category"]] = cat_counts.get(r["category"], 0) + 1
    print(f"sib200_pairs.jsonl: {len(rows)} sentence triples (dropped, not in all three: {dropped}); "
          f"categories {dict(sorted(cat_counts.items()))}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=str(DEFAULT_DATA),
                    help="folder holding xquad/ and sib200/ (default: <repo>/../shared/data)")
    ap.add_argument("--out-dir", default=str(HERE), help="default: evals/datasets/")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--per-direction", type=int, default=60,
                    help="questions sampled per direction (cap)")
    args = ap.parse_args()
    data_dir, out_dir = Path(args.data_dir), Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    build_xquad(data_dir, out_dir, args.seed, args.per_direction)
    build_sib(data_dir, out_dir)


if __name__ == "__main__":
    main()
