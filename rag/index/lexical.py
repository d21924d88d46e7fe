"""Language-aware tokenisation and a BM25 index (bm25s) over chunks.

Why lexical search at all, next to dense vectors: names, numbers and rare terms ("2026", "BMqT",
"Hüseynov", "5-8") are exactly what multilingual embeddings blur, and exactly what users ask about.

Tokenisation decisions (each one was checked against the seed texts; see tests/test_retrieval.py):

- Lower-casing follows the text's language (``rag.text.fold.lower_text``): Azerbaijani (like Turkish)
  maps "I" to dotless "ı" and "İ" to "i"; English and Russian map "I" to "i".
- Then every token's letters are *folded* (``rag.text.fold.fold_diacritics``) to plain ASCII-like
  letters (ə->e, ı->i, ö->o, ü->u, ç->c, ş->s, ğ->g, other accents dropped) and Cyrillic "ё" -> "е".
  Many Azerbaijani users type without diacritics ("Huseynov", "ucun"), and names cross languages with and without them
  ("Hüseynov" / "Huseynov"); folding on both the index and the query side makes those match. It also
  makes the az-vs-en "I" rule harmless when language detection is wrong for a chunk: "ı" and "i"
  fold to the same letter. The price -- the rare Azerbaijani pair that differs only in a diacritic
  (ac/aç) -- is small for ranking, and dense retrieval disambiguates by meaning.
- Stemming is chosen per token by script, not only by the chunk's language: Cyrillic tokens always
  use the Russian Snowball stemmer (Russian is the only Cyrillic language here), Latin tokens use
  English Snowball for en/ru/unknown chunks, and for az chunks 5-letter prefix truncation (see
  ``AZ_PREFIX`` for the measurements). Snowball "turkish" was tried for Azerbaijani and rejected: it
  needs diacritics for its vowel-harmony checks (so it behaves differently with and without them,
  which defeats folding), and it conflates inconsistently even on correct text ("miqrasiya" ->
  "miqrasi" but "miqrasiyanın" -> "miqrasiya"; "forum" -> "for" but "forumuna" -> "forum").
- Numbers are kept as tokens ("2026"; "5-8" -> "5", "8"); one-letter words are dropped.

A query's language is a guess and often differs from the passage's, so ``query_tokens`` tokenises the
query under all three languages' rules and takes the union: an English question with an
Azerbaijani name still matches the az passage's stems. Because that union also matches incidental
words across languages, a chunk only counts as a lexical hit when it covers ``Settings.lexical_min_coverage`` of the
query's IDF weight (see ``LexicalIndex.search``); otherwise BM25 noise outvotes dense retrieval on
cross-lingual questions.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from rag.settings import Settings
from rag.text.fold import fold_diacritics, has_cyrillic, lower_text
from rag.types import LANGS

# bm25s sets its own logger to DEBUG, so "Building index from tokens" reached stderr on every write.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# Bump when tokenisation changes: token lists cached in an index are then recomputed on load.
# 2: folding moved to rag.text and works letter by letter, so a token mixing Cyrillic with other
# non-ASCII letters folds those too ("км²" -> "км2", as "km²" -> "km2" always did). The only such token
# in seeds/, the XQuAD corpus, the eval questions and the 2,400 SIB-200 sentences is that "км²".
TOKENIZER_VERSION = 2

_WORD = re.compile(r"[^\W_]+")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)  # soft hyphen, ZW*

_STOPWORDS_RAW: dict[str, str] = {
    "en": """a an the and or of to in on at by for with from as is are was were be been being it its this
        that these those which who whom what when where why how do does did has have had not no but if
        than then so such into about over also there their they them he she his her we our you your me
        my will would can could should shall must between during after before up out all any each
        other some more most very""",
    "ru": """и в во на с со к ко по о об от до из за для при у не ни что это как а но или же ли бы то
        так его ее её их он она оно они мы вы я ты был была было были быть есть который которая
        которое которые которых также этот эта эти этого того чем где когда кто какой какая какие
        чтобы под над между через уже еще ещё только все всё весь этом том сколько каких каким кого
        кому чего почему зачем куда откуда""",
    "az": """və ilə bu o ki da də bir üçün olan olub olaraq həm isə ya yaxud amma lakin kimi görə qədər
        hansı nə niyə necə harada kim kimdir nədir haqqında üzrə onun onlar biz siz mən sən bütün hər
        çox daha artıq ildə il neçə nəyi nədən kimlər hara harada haraya haradan vaxt zaman
        ci cı cu cü nci ncı ncu ncü nin nın nun nün in ın un ün dan dən ya yə na ni nı nu nü la lə""",
}

_EN = "english"
_RU = "russian"
_local = threading.local()  # PyStemmer objects must not be shared between threads


def _stemmer(algorithm: str) -> Stemmer.Stemmer:
    cache: dict[str, Stemmer.Stemmer] | None = getattr(_local, "stemmers", None)
    if cache is None:
        cache = _local.stemmers = {}
    if algorithm not in cache:
        cache[algorithm] = Stemmer.Stemmer(algorithm)
    return cache[algorithm]


def _folded_stopwords(lang: str) -> frozenset[str]:
    return frozenset(fold_diacritics(w) for w in lower_text(_STOPWORDS_RAW[lang], lang).split())


STOPWORDS: dict[str, frozenset[str]] = {lang: _folded_stopwords(lang) for lang in LANGS}

# Azerbaijani is agglutinative (miqrasiya, miqrasiyanın, miqrasiyası...); no Snowball stemmer exists
# for it. Truncating a word to its first 5 letters is the classic answer for Turkish (Can et al., 2008:
# as good as a full morphological analyser for retrieval) and needs no vowel-harmony rules, so it
# behaves identically with and without diacritics. Measured on 22 Azerbaijani questions over the seed
# paragraphs (lexical only, MRR@10): no stemming 0.63, Snowball "turkish" 0.81, 5-letter prefix 0.88
# (6: 0.79, 7: 0.78; 4 was worse too). A hand-written suffix stripper was also tried: inconsistent
# (status/statusu, iclas/iclası) and never better than the prefix. tests/test_retrieval.py keeps a
# smaller version of that comparison as a regression test.
AZ_PREFIX = 5



def _stem_latin(tokens: list[str], lang: str) -> list[str]:
    if lang == "az":
        return [t[:AZ_PREFIX] for t in tokens]
    return list(_stemmer(_EN).stemWords(tokens))


def tokenize(text: str, lang: str) -> list[str]:
    """Index terms of ``text`` under the rules of ``lang`` ("az" | "ru" | "en"; anything else -> "en").

    Order and repetitions are kept (BM25 needs term frequencies).
    """
    rules = lang if lang in STOPWORDS else "en"
    stop = STOPWORDS[rules]
    words = _WORD.findall(lower_text(text.translate(_INVISIBLE), rules))
    out: list[str] = []
    latin: list[tuple[int, str]] = []
    cyrillic: list[tuple[int, str]] = []
    for word in words:
        if len(word) < 2 and not word.isdigit():
            continue
        token = fold_diacritics(word)
        if token in stop:
            continue
        if any(c.isdigit() for c in token):
            out.append(token)
        elif has_cyrillic(token):
            cyrillic.append((len(out), token))
            out.append(token)
        else:
            latin.append((len(out), token))
            out.append(token)
    if cyrillic:
        for (i, _), stem in zip(cyrillic, _stemmer(_RU).stemWords([t for _, t in cyrillic]), strict=True):
            out[i] = stem
    if latin:
        for (i, _), stem in zip(latin, _stem_latin([t for _, t in latin], rules), strict=True):
            out[i] = stem
    return out


def _rule_terms(query: str, lang: str | None) -> list[set[str]]:
    """The query's distinct terms under each language's rules, minus the query language's stopwords."""
    out = []
    for rules in LANGS:
        terms = set(tokenize(query, rules))
        if lang in STOPWORDS:
            terms -= STOPWORDS[lang]
        if terms:
            out.append(terms)
    return out


def query_tokens(query: str, lang: str | None = None) -> list[str]:
    """Union of the query's terms under every language's rules, minus the query language's stopwords.

    Sorted and de-duplicated: BM25 then scores each distinct term once, and results are deterministic.
    """
    return sorted(set().union(*_rule_terms(query, lang)))


class LexicalVersionError(ValueError):
    """A saved lexical index was tokenised by another ``TOKENIZER_VERSION``; rebuild it from texts."""


class LexicalIndex:
    """BM25 over chunks, keyed by chunk id, with each chunk's token list kept for incremental rebuilds.

    The bm25s matrix is immutable, so any change rebuilds it -- from the cached token lists, which is
    cheap (sparse counting) compared with tokenising and stemming every chunk again.
    """

    ROWS = "rows.jsonl"
    META = "meta.json"
    BM25_DIR = "bm25"

    def __init__(self, ids: Sequence[str], langs: Sequence[str], tokens: Sequence[list[str]],
                 *, reused: int = 0) -> None:
        if not len(ids) == len(langs) == len(tokens):
            raise ValueError("ids, langs and tokens must have the same length")
        self._ids = list(ids)
        self._langs = list(langs)
        self._tokens = [list(t) for t in tokens]
        self._row = {cid: i for i, cid in enumerate(self._ids)}
        if len(self._row) != len(self._ids):
            raise ValueError("duplicate chunk ids in lexical index")
        self.reused = reused  # rows whose tokens came from a previous index (for reports and tests)
        self._bm25: bm25s.BM25 | None = None

    # -- building ---------------------------------------------------------------------------------

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, str]], *, previous: LexicalIndex | None = None
              ) -> LexicalIndex:
        """Index ``(chunk_id, text, lang)`` rows, re-using ``previous``'s tokens for known chunk ids."""
        ids: list[str] = []
        langs: list[str] = []
        tokens: list[list[str]] = []
        reused = 0
        for cid, text, lang in rows:
            cached = previous.cached_tokens(cid, lang) if previous is not None else None
            if cached is None:
                cached = tokenize(text, lang)
            else:
                reused += 1
            ids.append(cid)
            langs.append(lang)
            tokens.append(cached)
        index = cls(ids, langs, tokens, reused=reused)
        index._fit()
        return index

    def _fit(self) -> None:
        if not self._ids:
            self._bm25 = None
            return
        bm25 = bm25s.BM25()
        # Empty token lists are fine: bm25s adds an empty-token column so every row exists.
        bm25.index(self._tokens, show_progress=False)
        self._bm25 = bm25

    def cached_tokens(self, chunk_id: str, lang: str) -> list[str] | None:
        row = self._row.get(chunk_id)
        if row is None or self._langs[row] != lang:
            return None
        return self._tokens[row]

    # -- persistence ------------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        with open(directory / self.ROWS, "w", encoding="utf-8") as f:
            for cid, lang, toks in zip(self._ids, self._langs, self._tokens, strict=True):
                f.write(json.dumps({"id": cid, "lang": lang, "tokens": toks}, ensure_ascii=False) + "\n")
        meta = {"tokenizer_version": TOKENIZER_VERSION, "count": len(self._ids)}
        (directory / self.META).write_text(json.dumps(meta), encoding="utf-8")
        if self._bm25 is not None:
            self._bm25.save(str(directory / self.BM25_DIR), show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        """Load a saved index; ``LexicalVersionError`` if its tokens came from another tokenizer.

        Other problems (missing or unreadable files) raise ``OSError`` / ``ValueError`` for the caller
        to report as a corrupt index.
        """
        meta = json.loads((directory / cls.META).read_text(encoding="utf-8"))
        if meta.get("tokenizer_version") != TOKENIZER_VERSION:
            raise LexicalVersionError(f"tokenizer version {meta.get('tokenizer_version')} != "
                                      f"{TOKENIZER_VERSION}")
        ids: list[str] = []
        langs: list[str] = []
        tokens: list[list[str]] = []
        with open(directory / cls.ROWS, encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                ids.append(row["id"])
                langs.append(row["lang"])
                tokens.append(row["tokens"])
        if len(ids) != meta.get("count"):
            raise ValueError(f"lexical index has {len(ids)} rows, manifest says {meta.get('count')}")
        index = cls(ids, langs, tokens)
        if ids:
            bm25 = bm25s.BM25.load(str(directory / cls.BM25_DIR), show_progress=False, verbosity=0)
            if int(bm25.scores["num_docs"]) != len(ids):
                raise ValueError("BM25 matrix and lexical rows disagree")
            index._bm25 = bm25
        return index

    # -- querying ---------------------------------------------------------------------------------

    @property
    def ids(self) -> list[str]:
        return list(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def search(self, query: str, lang: str, k: int, *, min_coverage: float | None = None
               ) -> list[tuple[str, float]]:
        """Top ``k`` chunk ids by BM25 among chunks that cover enough of the query.

        Coverage is the IDF-weighted share of the query's terms a chunk contains, under the language
        rules that fit it best; terms found nowhere in the index count with the highest IDF. Why: a
        cross-lingual question ("Abdulla Shahid meeting" against a Russian passage) shares only
        incidental words ("meeting", "BMT", "keçirilib") with same-script passages, and plain BM25
        ranks those first; fused with dense ranks, that noise cost more than lexical search added
        (seed-paragraph eval, see ``Settings.lexical_min_coverage``). Ties are broken by index order.
        """
        if self._bm25 is None or k <= 0:
            return []
        threshold = Settings.lexical_min_coverage if min_coverage is None else min_coverage
        rule_sets = _rule_terms(query, lang)
        vocab = self._bm25.vocab_dict
        n_docs = len(self._ids)
        total = np.zeros(n_docs, dtype=np.float64)
        present: dict[str, np.ndarray] = {}
        for term in sorted(set().union(*rule_sets)):
            if term and term in vocab:
                per_term = np.asarray(self._bm25.get_scores_from_ids([vocab[term]]), dtype=np.float64)
                total += per_term
                present[term] = per_term > 0
        if not present:
            return []
        max_idf = _idf(0, n_docs)
        idf = {t: _idf(int(mask.sum()), n_docs) for t, mask in present.items()}
        coverage = np.zeros(n_docs, dtype=np.float64)
        for terms in rule_sets:
            denom = sum(idf.get(t, max_idf) for t in terms)
            covered = np.zeros(n_docs, dtype=np.float64)
            for t in terms:
                if t in present:
                    covered += idf[t] * present[t]
            np.maximum(coverage, covered / denom, out=coverage)
        hits = np.flatnonzero((total > 0) & (coverage >= threshold - 1e-9))
        if hits.size == 0:
            return []
        # lexsort: last key is primary -> score descending, then row ascending (deterministic ties).
        order = hits[np.lexsort((hits, -total[hits]))][:k]
        return [(self._ids[i], float(total[i])) for i in order]


def _idf(df: int, n_docs: int) -> float:
    """BM25 (Lucene) inverse document frequency; df=0 gives the largest value."""
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
