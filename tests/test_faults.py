"""Fault injection on small real indexes (real embedder, FAISS, bm25s): what a careful user can do to an
index -- kill -9 mid-ingest, damage files, lose the pointer, collide names, write concurrently, break a
model -- must lose nothing, answer nothing from damaged data, and end in an "error: ... / fix: ..."
message. The table in docs/robustness.md lists each fault and the outcome these tests assert.

Everything runs on three small documents so the whole file stays well under three minutes: the
embedder is loaded once (the session fixture); the command line is called in-process (``rag.cli.main``)
where it needs no model, and in a child process only where a real ``kill -9`` is the point.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from rag import cli, maintenance
from rag.errors import IndexError_
from rag.index.generations import CURRENT
from rag.pipeline import RAG
from rag.settings import PROJECT_ROOT, Settings

DOCS = {
    "az.txt": "Dövlət Miqrasiya Xidməti 2022-ci ildə yeni elektron viza sistemini istifadəyə verib. "
              "Sistem Bakıda təqdim olunub.",
    "ru.txt": "Форум по обзору международной миграции пройдёт в Нью-Йорке в мае. "
              "Председатель Генеральной Ассамблеи открыл заседание.",
    "en.txt": "The harvest festival in Lankaran attracted twelve thousand visitors this autumn. "
              "Tea growers showed new varieties.",
}
QUESTION = "How many visitors came to the harvest festival in Lankaran?"
GOLD = "en.txt"
INDEX_FILES = ["chunks.jsonl", "vectors.npy", "documents.json", "manifest.json", "lexical/rows.jsonl",
               "lexical/meta.json", "lexical/bm25/data.csc.index.npy", "lexical/bm25/indices.csc.index.npy",
               "lexical/bm25/indptr.csc.index.npy", "lexical/bm25/vocab.index.json",
               "lexical/bm25/params.index.json"]

REPAIRED = ("vectors.npy", "chunks.jsonl", "lexical/bm25/data.csc.index.npy")


def write_docs(folder: Path, docs: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def make_rag(settings: Settings, embedder: Any) -> RAG:
    rag = RAG(settings)
    rag.__dict__["embedder"] = embedder  # the session's loaded model (cached_property slot)
    return rag


def run_cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = cli.main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def live(index_dir: Path) -> Path:
    return index_dir / (index_dir / CURRENT).read_text().strip()


def top_source(rag: RAG) -> str:
    _, hits, _ = rag.retrieve(QUESTION)
    return hits[0].chunk.source


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_docs(tmp_path_factory.mktemp("faults") / "docs", DOCS)


@pytest.fixture(scope="module")
def base_index(tmp_path_factory: pytest.TempPathFactory, corpus: Path, embedder: Any,
               base_settings: Settings) -> Path:
    index_dir = tmp_path_factory.mktemp("faults-base") / "index"
    report = make_rag(base_settings.replace(index_dir=index_dir), embedder).ingest([corpus], progress=False)
    assert report.apply and report.apply.added_docs == 3
    return index_dir


@pytest.fixture
def index(tmp_path: Path, base_index: Path) -> Path:
    """A private copy of the three-document index."""
    return Path(shutil.copytree(base_index, tmp_path / "index"))


def doc_state(rag: RAG) -> dict[str, str]:
    return {d["source"]: d["content_hash"] for d in rag.documents()}


# -- kill -9 during ingest ----------------------------------------------------------------------------

# Steps of a commit, in order; the child kills itself with SIGKILL right before or after one of them.
KILL_POINTS = [("rag.index.diff", "_vectors_for"), ("rag.index.store", "write_files"),
               ("rag.index.manifest", "checksums_of"), ("rag.index.generations", "seal"),
               ("rag.index.generations", "swap_current"), ("rag.index.generations", "remove_superseded")]

_CHILD = textwrap.dedent("""
    import importlib, os, signal, sys
    from pathlib import Path
    from rag.pipeline import RAG
    from rag.settings import Settings

    index_dir, folder, module, name, when = sys.argv[1:6]
    if module != "-":
        mod = importlib.import_module(module)
        real = getattr(mod, name)
        def wrapped(*a, **k):
            if when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            out = real(*a, **k)
            os.kill(os.getpid(), signal.SIGKILL)
        setattr(mod, name, wrapped)
    rag = RAG(Settings.load(index_dir=Path(index_dir)))
    rag.embedder.model  # load first, so an outside kill lands in the ingest itself
    print("loaded", flush=True)
    rag.ingest([Path(folder)], progress=False)
    print("done", flush=True)
""")


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_kill9_during_ingest_loses_nothing(seed: int, index: Path, tmp_path: Path, embedder: Any,
                                           base_settings: Settings) -> None:
    rng = random.Random(seed)
    settings = base_settings.replace(index_dir=index)
    before = doc_state(make_rag(settings, embedder))
    extra = write_docs(tmp_path / "more", {f"new{seed}.txt": f"Item {seed}: the ferry to Aktau now leaves "
                                                             f"at {7 + seed} o'clock every morning."})
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    if seed < 3:  # a chosen step of the commit
        module, name = rng.choice(KILL_POINTS)
        argv = [str(index), str(extra), module, name, rng.choice(["before", "after"])]
        proc = subprocess.run([sys.executable, "-c", _CHILD, *argv], env=env, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    else:  # an outside kill -9 at a random moment of the ingest
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(index), str(extra), "-", "-", "-"], env=env,
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None and child.stdout.readline().strip() == "loaded"
        time.sleep(rng.uniform(0.0, 1.5))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)

    rag = make_rag(settings, embedder)
    after = doc_state(rag)
    assert set(after) in (set(before), set(before) | {f"new{seed}.txt"}), after  # old state or new, whole
    assert all(after[s] == h for s, h in before.items())  # nothing lost or changed
    assert top_source(rag) == GOLD
    # The next ingest completes the interrupted one.
    rag.ingest([extra], progress=False)
    assert set(doc_state(make_rag(settings, embedder))) == set(before) | {f"new{seed}.txt"}


# -- damaged index files -------------------------------------------------------------------------------

def damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    else:  # same size: overwrite bytes in the middle (zeros for binary files, a letter changed in text)
        mid = len(data) // 2
        if path.suffix == ".npy":
            data[mid: mid + 64] = bytes(min(64, len(data) - mid))
            if data == path.read_bytes():
                data[mid] ^= 0xFF
        else:
            data[mid] = ord("x") if data[mid] != ord("x") else ord("y")
        path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["truncate", "same-size"])
@pytest.mark.parametrize("fname", INDEX_FILES)
def test_damaged_file_is_refused_before_any_answer(fname: str, how: str, index: Path, embedder: Any,
                                                   base_settings: Settings,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    settings = base_settings.replace(index_dir=index)
    damage(live(index) / fname, how)
    with pytest.raises(IndexError_) as err:  # retrieval (and so answering) refuses
        make_rag(settings, embedder).retrieve(QUESTION)
    assert err.value.fix
    rc, _, stderr = run_cli("documents", "--index", str(index), capsys=capsys)
    assert rc == 2 and stderr.startswith("error: ") and "\n  fix: " in stderr, stderr
    rc, _, stderr = run_cli("index", "verify", "--index", str(index), capsys=capsys)
    assert rc == 2 and ("damaged" in stderr or "corrupt" in stderr), stderr
    if how == "same-size" and fname in REPAIRED:
        # Repair rebuilds from the stored texts, keeps the damaged generation aside, and answers again
        # (one file per kind: the path is the same for every file but documents.json and the manifest).
        rag = make_rag(settings, embedder)
        outcome = maintenance.repair(rag, progress=False)
        assert "rebuilt from the 3 documents" in outcome.message
        assert any(p.name.startswith("damaged-gen-") for p in index.iterdir())
        assert set(doc_state(make_rag(settings, embedder))) == set(DOCS)
        assert top_source(make_rag(settings, embedder)) == GOLD


def test_damaged_texts_cannot_be_repaired_from_the_index_and_say_what_can(
        index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    damage(live(index) / "documents.json", "same-size")
    rc, _, stderr = run_cli("index", "repair", "--index", str(index), capsys=capsys)
    assert rc == 2 and "cannot be rebuilt from its own files" in stderr
    assert "fix: rag ingest --rebuild " in stderr
    assert len([p for p in index.iterdir() if p.name.startswith("gen-")]) == 1  # nothing deleted


# -- the CURRENT pointer -------------------------------------------------------------------------------

@pytest.mark.parametrize("pointer", ["missing", "garbage", "dangling"])
def test_lost_pointer_recovers_the_newest_intact_generation(pointer: str, index: Path, tmp_path: Path,
                                                            embedder: Any, base_settings: Settings,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    gen = live(index).name
    if pointer == "missing":
        (index / CURRENT).unlink()
    elif pointer == "garbage":
        (index / CURRENT).write_bytes(b"\xff\xfe not a generation")
    else:
        (index / CURRENT).write_text("gen-000999\n")
    with capture_warnings() as said:  # logged at WARNING, which the CLI prints to stderr
        rc, out, _ = run_cli("documents", "--index", str(index), capsys=capsys)
    assert rc == 0 and sorted(line.split("\t")[0] for line in out.splitlines()) == sorted(DOCS)
    assert live(index).name == gen
    assert any("recovered" in m and gen in m for m in said), said
    settings = base_settings.replace(index_dir=index)
    (index / CURRENT).unlink()
    with capture_warnings() as messages:
        rag = make_rag(settings, embedder)
        rag.ingest([write_docs(tmp_path / "more", {"more.txt": "A fourth note about ferries."})], progress=False)
    assert any("recovered" in m and gen in m for m in messages)
    assert set(doc_state(make_rag(settings, embedder))) == set(DOCS) | {"more.txt"}  # nothing lost


class capture_warnings:
    """Collect WARNING records of rag.* loggers (pytest's caplog is per-test-phase; this is explicit)."""

    def __enter__(self) -> list[str]:
        import logging

        self.messages: list[str] = []
        self.handler = logging.Handler(logging.WARNING)
        self.handler.emit = lambda r: self.messages.append(r.getMessage())  # type: ignore[method-assign]
        logging.getLogger("rag").addHandler(self.handler)
        return self.messages

    def __exit__(self, *exc: object) -> None:
        import logging

        logging.getLogger("rag").removeHandler(self.handler)


# -- document identity ---------------------------------------------------------------------------------

def test_same_names_in_two_folders_are_two_documents(tmp_path: Path, embedder: Any,
                                                     base_settings: Settings,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    settings = base_settings.replace(index_dir=tmp_path / "index")
    a = write_docs(tmp_path / "collA", {"notes.txt": DOCS["en.txt"]})
    b = write_docs(tmp_path / "collB", {"notes.txt": DOCS["ru.txt"]})
    rag = make_rag(settings, embedder)
    rag.ingest([a], progress=False)
    report = rag.ingest([b], progress=False)
    assert report.apply and report.apply.added_docs == 1 and report.apply.updated_docs == 0
    assert set(doc_state(rag)) == {"notes.txt", "collB/notes.txt"}
    # Re-ingesting the same path updates its own document, whichever name it has.
    (b / "notes.txt").write_text(DOCS["ru.txt"] + " Заседание продлится два дня.", encoding="utf-8")
    report = rag.ingest([b], progress=False)
    assert report.apply and (report.apply.added_docs, report.apply.updated_docs) == (0, 1)
    assert set(doc_state(rag)) == {"notes.txt", "collB/notes.txt"}
    assert top_source(rag) == "notes.txt"
    # --sync on one folder leaves the other folder's documents alone.
    rag.ingest([b], sync=True, progress=False)
    assert set(doc_state(rag)) == {"notes.txt", "collB/notes.txt"}
    rc, out, _ = run_cli("documents", "--index", str(settings.index_dir), capsys=capsys)
    assert rc == 0 and {line.split("\t")[0] for line in out.splitlines()} == {"notes.txt", "collB/notes.txt"}


def test_a_copy_of_an_indexed_document_is_not_indexed_twice(tmp_path: Path, embedder: Any,
                                                             base_settings: Settings,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A second clone of the project (the same files under another path) does not double the seeds:
    the same passage twice among the hits would crowd out a different one. A moved file under --sync is
    indexed anew under its new name, so nothing is lost."""
    settings = base_settings.replace(index_dir=tmp_path / "index")
    first = write_docs(tmp_path / "clone1" / "seeds", {"en.txt": DOCS["en.txt"], "ru.txt": DOCS["ru.txt"]})
    second = write_docs(tmp_path / "clone2" / "seeds", {"en.txt": DOCS["en.txt"], "ru.txt": DOCS["ru.txt"],
                                                         "copy.txt": DOCS["ru.txt"]})
    rag = make_rag(settings, embedder)
    rag.ingest([first], progress=False)
    report = rag.ingest([second], progress=False)
    assert report.apply is None and report.accepted == 3 and not report.nothing_indexed()
    assert sorted(report.duplicates) == ["copy.txt: same content as ru.txt", "seeds/en.txt: same content as en.txt",
                                         "seeds/ru.txt: same content as ru.txt"]
    assert set(doc_state(rag)) == {"en.txt", "ru.txt"}
    _, hits, _ = rag.retrieve(QUESTION)
    assert len({h.chunk.text for h in hits}) == len(hits)  # no passage twice
    # The command line says so, exits 0 (the text is searchable) and changes nothing.
    rc, _, err = run_cli("ingest", str(second), "--index", str(settings.index_dir), capsys=capsys)
    assert rc == 0 and "not indexed twice: copy.txt: same content as ru.txt" in err
    # A file renamed in its folder and synced: the old document goes, the new name holds the text.
    (first / "en.txt").rename(first / "english.txt")
    report = rag.ingest([first], sync=True, progress=False)
    assert report.duplicates == [] and set(doc_state(rag)) == {"english.txt", "ru.txt"}


# -- concurrent writers --------------------------------------------------------------------------------

def test_concurrent_writers_lose_nothing(index: Path, tmp_path: Path, embedder: Any,
                                         base_settings: Settings) -> None:
    settings = base_settings.replace(index_dir=index)
    folders = [write_docs(tmp_path / f"w{i}", {f"w{i}.txt": f"Writer {i} reports {i + 3} new ferry routes."})
               for i in range(2)]
    writers = [make_rag(settings, embedder) for _ in folders]
    for w in writers:
        w.store_for_write()  # both open the same generation before either writes
    errors: list[BaseException] = []

    def run(w: RAG, folder: Path) -> None:
        try:
            w.ingest([folder], progress=False)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w, f)) for w, f in zip(writers, folders, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Either both went through one after the other, or the later one refused with a product message.
    assert all(isinstance(e, IndexError_) and e.fix == "run the command again" for e in errors), errors
    for folder in folders:  # "run the command again" works
        make_rag(settings, embedder).ingest([folder], progress=False)
    assert set(doc_state(make_rag(settings, embedder))) == set(DOCS) | {"w0.txt", "w1.txt"}


# -- ingest and model failures ---------------------------------------------------------------------------

def test_ingest_of_only_bad_or_hidden_files_fails_and_says_why(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "empty.txt").write_text("")
    (folder / "..gizli ə.txt").write_text("hidden text")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4 truncated")
    rc, _, stderr = run_cli("ingest", str(folder), "--index", str(tmp_path / "index"), capsys=capsys)
    assert rc == 2
    assert "skipped empty.txt: empty file" in stderr and "skipped scan.pdf" in stderr
    assert "ignored ..gizli ə.txt: hidden file" in stderr
    assert "error: none of the 2 files could be indexed" in stderr and "\n  fix: " in stderr


def test_embedder_folder_with_only_config_is_a_product_message(tmp_path: Path, corpus: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken-embedder"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"model_type": "gemma3_text"}))
    rc, _, stderr = run_cli("ingest", str(corpus), "--index", str(tmp_path / "index"), "--embedder", str(broken),
                            capsys=capsys)
    assert rc == 2 and stderr.startswith("error: the embedder folder") and "\n  fix: " in stderr
    assert "Traceback" not in stderr and len(stderr.splitlines()) <= 3


def test_embedder_weights_replaced_by_junk_is_a_product_message(tmp_path: Path, corpus: Path,
                                                                base_settings: Settings,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from rag.models.provision import resolve

    real = resolve(base_settings.embedder, "embedder", base_settings.cache_dir)
    junk = tmp_path / "junk-embedder"
    for p in real.rglob("*"):  # the real folder by symlinks, with the main weights replaced by zeros
        target = junk / p.relative_to(real)
        if p.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif p.relative_to(real).as_posix() == "model.safetensors":
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as f:
                f.truncate(p.stat().st_size)  # same size, all zeros (sparse: no disk used)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(p)
    rc, _, stderr = run_cli("ingest", str(corpus), "--index", str(tmp_path / "index"), "--embedder", str(junk),
                            capsys=capsys)
    assert rc == 2 and "\nerror: the embedder folder" in stderr and "\n  fix: " in stderr, stderr
    assert not (tmp_path / "index").exists() or not any((tmp_path / "index").glob("gen-*"))


def test_models_verify_rehashes_and_fails_on_junk(tmp_path: Path, base_settings: Settings,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from rag.models.catalog import CATALOG
    from rag.models.provision import folder_hashes, model_path

    cache = tmp_path / "cache"
    (cache / "models").mkdir(parents=True)
    tiny = CATALOG["tiny"]
    real = model_path(tiny, base_settings.cache_dir)
    fake = model_path(tiny, cache)
    with open(fake, "wb") as f:
        f.truncate(real.stat().st_size)  # junk of the right size passes the cheap size check
    marker = f".{real.name}.verified"
    shutil.copy(real.parent / marker, fake.parent / marker)
    # An embedder folder with recorded per-file hashes, one file then changed.
    emb = CATALOG["embeddinggemma"]
    folder = model_path(emb, cache)
    write_docs(folder, {"config.json": "{}", "modules.json": "[]"})
    hashes = folder_hashes(folder)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    (folder.parent / f".{folder.name}.verified").write_text(json.dumps({"sha256": emb.sha256, "size": size,
                                                                        "files": hashes}))
    rc, out, stderr = run_cli("models", "list", "--verify", "--cache-dir", str(cache), capsys=capsys)
    assert rc == 2 and "CORRUPT" in out and "error: tiny failed verification" in stderr, (out, stderr)
    assert "embeddinggemma" in out and "embeddinggemma" not in stderr.split("\n")[0]
    (folder / "config.json").write_text("[]")  # same size, other bytes
    rc, out, stderr = run_cli("models", "list", "--verify", "--cache-dir", str(cache), capsys=capsys)
    first = stderr.split("\n")[0]
    assert rc == 2 and "tiny" in first and "embeddinggemma" in first and "failed verification" in first, stderr


def test_lost_pointer_with_a_damaged_newer_generation_keeps_it_aside(index: Path, embedder: Any,
                                                                     base_settings: Settings) -> None:
    gen = live(index)
    newer = Path(shutil.copytree(gen, index / "gen-000009"))
    damage(newer / "vectors.npy", "same-size")
    (index / CURRENT).unlink()
    with capture_warnings() as said:
        rag = make_rag(base_settings.replace(index_dir=index), embedder)
        assert set(doc_state(rag)) == set(DOCS)
    assert live(index) == gen
    assert (index / "damaged-gen-000009" / "vectors.npy").is_file()  # kept, not deleted
    assert any("damaged" in m and "gen-000009" in m for m in said), said
    rag.ingest([write_docs(index.parent / "more", {"more.txt": "A fifth note."})], progress=False)
    assert (index / "damaged-gen-000009").is_dir()
