"""Shared fixtures. Tests use the real models from the model cache (``rag models pull`` provisions them;
the README's test command does that first). Loading them once per session keeps the suite fast."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from rag.embedding import SentenceTransformerEmbedder
from rag.models.provision import resolve
from rag.settings import PROJECT_ROOT, Settings

SEEDS = PROJECT_ROOT / "seeds"


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    return Settings.load()


@pytest.fixture
def settings(tmp_path: Path, base_settings: Settings) -> Settings:
    """Real models, throw-away index directory."""
    return base_settings.replace(index_dir=tmp_path / "index")


@pytest.fixture(scope="session")
def embedder(base_settings: Settings) -> Iterator[SentenceTransformerEmbedder]:
    path = resolve(base_settings.embedder, "embedder", base_settings.cache_dir)
    yield SentenceTransformerEmbedder(path, batch_size=base_settings.embed_batch_size)


@pytest.fixture(scope="session")
def sim(embedder: SentenceTransformerEmbedder):  # type: ignore[no-untyped-def]
    """The real embedder as a support judge: cosine of a text to each of others (as RAG.embedder does)."""

    def similarity(text: str, others: Sequence[str]) -> list[float]:
        vecs = embedder.embed_documents([text, *others])
        return [float(x) for x in vecs[1:] @ vecs[0]]

    return similarity


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS
