from __future__ import annotations

from pathlib import Path

import pytest

from rag.cli import build_parser, settings_from
from rag.settings import Settings


def test_precedence_default_env_flag(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert Settings.load().top_k == Settings().top_k
    monkeypatch.setenv("RAG_TOP_K", "7")
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("RAG_PROMPT_LOOKUP", "yes")
    s = Settings.load()
    assert (s.top_k, s.index_dir, s.prompt_lookup) == (7, tmp_path / "from-env", True)
    args = build_parser().parse_args(["ask", "q", "--top-k", "2", "--index", str(tmp_path / "flag")])
    s = settings_from(args)
    assert (s.top_k, s.index_dir) == (2, tmp_path / "flag")


def test_bad_values_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_TOP_K", "many")
    with pytest.raises(ValueError, match="'many'"):
        Settings.load()
    with pytest.raises(ValueError, match="unknown setting"):
        Settings().replace(nonsense=1)


def test_closed_sets_reject_other_values(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.load(answer_language="ru").answer_language == "ru"
    monkeypatch.setenv("RAG_ANSWER_FORMAT", "essay")
    with pytest.raises(ValueError, match="answer_format must be one of direct, quote, got 'essay'"):
        Settings.load()
    with pytest.raises(ValueError, match="answer_language must be one of"):
        Settings().replace(answer_language="fr")
