"""Text -> vectors. The interface is small so an index never depends on sentence-transformers itself.

Indexes record ``Embedder.fingerprint``; an index built with another model (or another revision of
the same one) is refused instead of silently returning garbage neighbours.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from tqdm import tqdm


class Embedder(Protocol):
    name: str
    fingerprint: str
    dim: int

    def embed_documents(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


class VectorCache:
    """Vectors by text, least recently used dropped first: only texts not seen lately are embedded.

    Answering embeds the same short texts again and again (the question, once for retrieval and once
    for sentence selection; the sentences of passages that come back question after question), and on
    2 cores each embedding call costs ~0.1 s or more.
    """

    @classmethod
    def around(cls, embed: Callable[[Sequence[str]], np.ndarray], max_items: int = 20_000) -> VectorCache:
        """``embed`` itself when it is already a cache (one shared by several stages), else a new cache."""
        return embed if isinstance(embed, VectorCache) else cls(embed, max_items)

    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray], max_items: int) -> None:
        self.embed = embed
        self.max_items = max_items
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
            if missing:
                for t, v in zip(missing, self.embed(missing), strict=True):
                    self._vectors[t] = np.asarray(v, dtype=np.float32)
            out = np.stack([self._vectors[t] for t in texts])
            for t in texts:
                self._vectors.move_to_end(t)
            while len(self._vectors) > self.max_items:
                self._vectors.popitem(last=False)
            return out


def folder_fingerprint(path: Path) -> str:
    """Cheap identity of a model folder: config files' bytes plus every file's name and size.

    Hashing 1.2 GB of weights on every start would cost seconds; weights that change size or
    configs that change content are what actually distinguishes models in practice.
    """
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        if not p.is_file() or p.name.startswith("."):
            continue
        rel = p.relative_to(path).as_posix()
        h.update(f"{rel}:{p.stat().st_size}\n".encode())
        if p.suffix == ".json" and p.stat().st_size < 64_000:
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


class SentenceTransformerEmbedder:
    """EmbeddingGemma (or any sentence-transformers folder) on the CPU, strictly offline."""

    def __init__(self, path: Path, *, batch_size: int = 16, n_threads: int | None = None,
                 query_prompt: str = "") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        if n_threads:
            torch.set_num_threads(n_threads)
        self.path = Path(path)
        self.model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        self.name = self.path.name
        self.fingerprint = folder_fingerprint(self.path)
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ValueError(f"{path}: cannot tell the embedding dimension")
        self.dim = int(dim)
        self.batch_size = batch_size
        # Empty: the model's own "query" prompt. EmbeddingGemma also knows task prompts that are not in
        # its config, e.g. "task: question answering | query: " (its model card).
        self.query_prompt = query_prompt or None
        self.tokenizer = self.model.tokenizer
        self._lock = threading.Lock()  # torch modules are not safe to call from several threads at once

    def embed_documents(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        starts = range(0, len(texts), self.batch_size)
        for s in tqdm(starts, desc="embed", unit="batch", disable=not progress or len(texts) == 0):
            batch = list(texts[s : s + self.batch_size])
            with self._lock:
                vecs = self.model.encode_document(batch, batch_size=self.batch_size,
                                                  normalize_embeddings=True, convert_to_numpy=True)
            out[s : s + len(batch)] = vecs
        return out

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            vecs = self.model.encode_query(list(texts), prompt=self.query_prompt, batch_size=self.batch_size,
                                           normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vecs, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])
