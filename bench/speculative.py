"""Speculative decoding in llama.cpp's ``llama-server``: the default 1.5B model drafted by the 0.5B one.

Why: on 2 cores generation is memory-bound, one token per pass over the 1.5B weights. A draft model
with the same tokenizer (Qwen2.5-Coder-0.5B-Instruct) proposes a few tokens cheaply and the 1.5B model
checks them in one batched pass; every accepted token is a pass saved. Whether that pays on this CPU
depends on the acceptance rate on our prompts and on the extra cost of the draft (its own prompt
reading and passes), so it is measured here, side by side in one run, on the product's server path
(``rag.llm.server_process``: the same binary and command line as ``rag serve``, one slot):

- (a) the 1.5B model alone, extra buffer types off (``--no-repack``: the safe CPU path);
- (b) the 1.5B model alone, llama.cpp's defaults (extra buffer types on);
- (c) (b) plus the 0.5B draft (``-md``, ``--spec-type draft-simple``), once per ``--draft-max`` value
  (``--spec-draft-n-max``: tokens drafted per step; the draft's other settings are the server's).

Prompts: the first ``--n`` answerable questions of the dev half (``evals/split.py``) that the default
answer mode sends to the LLM (not the typed kinds, which are answered by rules), taken in turn from
the en / az / ru questions so that a small ``--n`` covers all three; each with ``top_k`` passages made
of seed sentences (the sentence holding the row's evidence first, then the seed sentences sharing most
words with the question, about 640 characters in all, near the selector's 260-token budget; a stand-in
for retrieval, so no embedder is loaded), written by the answerer's own ``build_messages``. Each server
first answers one warm-up message (the system prefix is then in its KV cache, as in the product after
the first question), then the prompts in order, greedy (temperature 0), ``--gen`` tokens at most, with
the answerer's stop strings, through ``/v1/chat/completions``.

Per configuration: prompt and generation tok/s from llama-server's ``timings`` (token-weighted over
the prompts), draft acceptance (``draft_n_accepted / draft_n``), wall seconds per answer (the HTTP
request), peak RSS of the server process (VmHWM, includes the mmapped weights), and whether each
answer is the same text as (b)'s: greedy decoding with a draft must not change the text. Ratios are
against (a), measured in the same run.

    flock /tmp/rag-heavy.lock nice -n 19 .venv/bin/python bench/speculative.py          # 8 prompts, 64 tokens
    flock /tmp/rag-heavy.lock nice -n 19 .venv/bin/python bench/speculative.py --n 2 --gen 16 --draft-max 4
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    SEEDS_QA,
    command_line,
    finish_machine_info,
    machine_info,
    machine_md,
    md_table,
    read_jsonl,
    write_results,
)

from evals.split import select
from rag.answer.candidates import question_kind
from rag.answer.prompt import STOP, build_messages
from rag.langid import detect_language
from rag.llm.base import Message
from rag.llm.server_process import START_TIMEOUT_S, ManagedLlamaServer, _die_with_parent, find_server_binary
from rag.models.catalog import CATALOG
from rag.models.provision import resolve
from rag.settings import PROJECT_ROOT, Settings
from rag.types import Chunk, Hit

LANG_ORDER = ("en", "az", "ru")
# Characters shown per passage: the evidence passage, then each other one. About 640 characters in all,
# near the answerer's 260-token context budget (Azerbaijani takes ~2 characters per token).
FIRST_CHARS, OTHER_CHARS = 280, 120
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[^\W_]+")


# -- prompts ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sentence:
    source: str
    date: str | None
    paragraph: int
    text: str


def seed_sentences() -> list[Sentence]:
    """Every sentence of the seed articles (one paragraph per line), with its file's date line."""
    out: list[Sentence] = []
    for path in sorted((PROJECT_ROOT / "seeds").glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        date = None
        m = re.search(r"\bdate (\d{4}-\d{2}-\d{2})\b", lines[0] if lines else "")
        if m:
            date = m.group(1)
        for i, line in enumerate(lines):
            line = line.strip()
            if len(line) < 40:  # headers, bylines, times
                continue
            out += [Sentence(path.name, date, i, s) for s in _SENTENCE_END.split(line) if len(s) >= 20]
    return out


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if len(w) > 2}


def _trim(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:chars].rsplit(" ", 1)[0] + " …"


def passages(row: dict[str, Any], sentences: list[Sentence], k: int) -> list[tuple[Hit, str]]:
    """``k`` (hit, text) pairs: the evidence sentence first (with the next one of its paragraph when it
    fits), then the sentences of other paragraphs sharing most words with the question."""
    evidence = _words(str(row.get("evidence", "")))
    in_source = [s for s in sentences if s.source in row["sources"]] or sentences
    first = max(in_source, key=lambda s: len(_words(s.text) & evidence))
    q = _words(row["question"])
    others = sorted((s for s in sentences if (s.source, s.paragraph) != (first.source, first.paragraph)),
                    key=lambda s: -len(_words(s.text) & q))
    picked = [first]
    for s in others:
        if len(picked) == k:
            break
        if all((s.source, s.paragraph) != (p.source, p.paragraph) and s.text not in p.text and p.text not in s.text
               for p in picked):  # the seeds repeat a few titles and sentences
            picked.append(s)
    out = []
    for n, s in enumerate(picked):
        text = s.text
        if n == 0:
            nxt = sentences[sentences.index(s) + 1] if sentences.index(s) + 1 < len(sentences) else None
            if nxt is not None and (nxt.source, nxt.paragraph) == (s.source, s.paragraph) \
                    and len(text) + len(nxt.text) < FIRST_CHARS:
                text = f"{text} {nxt.text}"
        text = _trim(text, FIRST_CHARS if n == 0 else OTHER_CHARS)
        lang = detect_language(text)
        chunk = Chunk(id=f"{s.source}:{s.paragraph}", source=s.source, text=text, start=0, end=len(text),
                      lang=lang if lang in LANG_ORDER else "az", ordinal=s.paragraph, date=s.date)
        out.append((Hit(chunk=chunk, score=1.0 / (n + 1), dense_score=1.0), text))
    return out


def prompt_rows(n: int, settings: Settings) -> list[dict[str, Any]]:
    """The first ``n`` dev-half questions that reach the LLM in the default answer mode, languages in turn."""
    typed = set(settings.typed_kinds.split(","))
    dev = [dict(r) for r in select(read_jsonl(SEEDS_QA), "dev")
           if r.get("answerable") and not r.get("history") and question_kind(r["question"]) not in typed]
    by_lang = {lang: [r for r in dev if r["lang"] == lang] for lang in LANG_ORDER}
    rows: list[dict[str, Any]] = []
    i = 0
    while len(rows) < n and any(i < len(v) for v in by_lang.values()):
        rows += [v[i] for v in by_lang.values() if i < len(v)]
        i += 1
    return rows[:n]


def build_prompts(n: int, settings: Settings) -> list[dict[str, Any]]:
    sentences = seed_sentences()
    spec = CATALOG.get(settings.llm)
    repeat = spec.repeat_question if spec is not None else True
    out = []
    for row in prompt_rows(n, settings):
        given = passages(row, sentences, settings.top_k)
        messages = build_messages(row["question"], given, row["lang"], answer_format=settings.answer_format,
                                  repeat_question=repeat)
        out.append({"id": row["id"], "lang": row["lang"], "question": row["question"], "messages": messages})
    return out


# -- server -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Config:
    name: str
    extra_bufts: bool
    draft_max: int = 0  # 0 = no draft model


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_peak_rss_mb(pid: int) -> float | None:
    """VmHWM of a running process (Linux), None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


class BenchServer:
    """llama-server with the product's command line (``ManagedLlamaServer.command``, one slot) plus the
    draft flags; its log goes to a temporary file (read on failure), so a chatty load cannot block."""

    def __init__(self, model: Path, draft: Path, settings: Settings, config: Config, log: IO[bytes]) -> None:
        self.base = ManagedLlamaServer(model, settings, slots=1, extra_bufts=config.extra_bufts)
        self.draft = draft
        self.config = config
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def command(self, port: int) -> list[str]:
        cmd = self.base.command(port)
        if self.config.draft_max > 0:
            cmd += ["-md", str(self.draft), "--spec-type", "draft-simple",
                    "--spec-draft-n-max", str(self.config.draft_max)]
        return cmd

    def start(self) -> list[str]:
        port = _free_port()
        cmd = self.command(port)
        binary = self.base.binary
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [str(binary.parent), env.get("LD_LIBRARY_PATH")]))
        # As rag serve does: the server gets SIGTERM if this process dies, even by kill -9.
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                     process_group=0, preexec_fn=_die_with_parent)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama-server exited with code {self.proc.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as r:
                    if r.status == 200:
                        return cmd
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"llama-server not ready after {START_TIMEOUT_S:.0f} s: {self.log_tail()}")

    def log_tail(self, chars: int = 600) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace").strip()[-chars:]

    def chat(self, messages: list[Message], max_tokens: int, settings: Settings) -> tuple[dict[str, Any], float]:
        body = {"model": self.base.model.name, "messages": messages, "max_tokens": max_tokens,
                "temperature": settings.temperature, "seed": settings.seed, "stop": list(STOP), "stream": False}
        req = urllib.request.Request(f"{self.url}/v1/chat/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=settings.timeout_s * 5) as r:
                data = json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"HTTP {e.code}: {e.read().decode(errors='replace')[:300]}") from None
        return data, time.perf_counter() - t0

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# -- measuring ----------------------------------------------------------------------------------------

def run_config(config: Config, model: Path, draft: Path, settings: Settings, prompts: list[dict[str, Any]],
               gen: int) -> dict[str, Any]:
    res: dict[str, Any] = {"config": config.name, "extra_bufts": config.extra_bufts, "draft_max": config.draft_max}
    with tempfile.TemporaryFile() as log:
        server = BenchServer(model, draft, settings, config, log)
        measure(server, res, settings, prompts, gen)
    return res


def measure(server: BenchServer, res: dict[str, Any], settings: Settings, prompts: list[dict[str, Any]],
            gen: int) -> None:
    """Start ``server``, ask the prompts, fill ``res``; the server is stopped whatever happens."""
    config = server.config
    try:
        t0 = time.perf_counter()
        res["command"] = " ".join(server.start())
        res["load_s"] = round(time.perf_counter() - t0, 2)
        warm = [prompts[0]["messages"][0], {"role": "user", "content": "Hi"}]
        server.chat(warm, 4, settings)
        answers = []
        for p in prompts:
            data, wall = server.chat(p["messages"], gen, settings)
            timings = data.get("timings") or {}
            usage = data.get("usage") or {}
            answers.append({"id": p["id"], "text": data["choices"][0]["message"].get("content") or "",
                            "finish_reason": data["choices"][0].get("finish_reason"), "wall_s": round(wall, 3),
                            "prompt_tokens": usage.get("prompt_tokens"),
                            "completion_tokens": usage.get("completion_tokens"), "timings": timings})
            print(f"  {config.name} {p['id']}: {wall:.2f} s, {timings.get('predicted_per_second', 0):.1f} tok/s, "
                  f"{answers[-1]['text'][:60]!r}", file=sys.stderr, flush=True)
        res["peak_rss_mb"] = server_peak_rss_mb(server.proc.pid) if server.proc else None
        res["answers"] = answers
        res.update(summarise(answers))
    except (RuntimeError, OSError, urllib.error.URLError, KeyError, ValueError) as e:
        res["error"] = f"{type(e).__name__}: {e}"[:800]
        print(f"  {config.name}: {res['error']}", file=sys.stderr, flush=True)
    finally:
        server.stop()


def summarise(answers: list[dict[str, Any]]) -> dict[str, Any]:
    def total(key: str) -> float:
        return float(sum(a["timings"].get(key) or 0 for a in answers))

    out: dict[str, Any] = {
        "wall_s_per_answer": round(sum(a["wall_s"] for a in answers) / len(answers), 3),
        "completion_tokens_mean": round(sum(a["completion_tokens"] or 0 for a in answers) / len(answers), 1),
        "prompt_tokens_mean": round(sum(a["prompt_tokens"] or 0 for a in answers) / len(answers), 1),
        "prompt_tok_s": round(total("prompt_n") / total("prompt_ms") * 1000, 1) if total("prompt_ms") else None,
        "gen_tok_s": round(total("predicted_n") / total("predicted_ms") * 1000, 1) if total("predicted_ms") else None,
        "draft_n": int(total("draft_n")),
        "draft_accepted": int(total("draft_n_accepted")),
    }
    out["acceptance"] = round(out["draft_accepted"] / out["draft_n"], 3) if out["draft_n"] else None
    return out


def differences(results: list[dict[str, Any]], ref: dict[str, Any] | None) -> list[str]:
    """Markdown lines naming each answer that is not (b)'s text, with both texts."""
    if ref is None:
        return []
    lines = []
    for r in results:
        for a, b in zip(r.get("answers", []), ref["answers"], strict=False):
            if a["text"] != b["text"]:
                lines.append(f"- {r['config']}, {a['id']}: {a['text'][:120]!r} vs (b) {b['text'][:120]!r}")
    return ["Answers that differ from (b):", "", *lines, ""] if lines else []


def _num(x: float | None, digits: int) -> str:
    return f"{x:.{digits}f}" if x is not None else "-"


def _ratio(x: float | None, base: float | None) -> str:
    return f"{x / base:.2f}x" if x and base else "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=8, help="prompts (dev-half seed questions)")
    ap.add_argument("--gen", type=int, default=64, help="max tokens generated per answer")
    ap.add_argument("--draft-max", default="4,8", help="comma-separated --spec-draft-n-max values, one row each")
    ap.add_argument("--threads", type=int, default=0, help="default: the settings' n_threads")
    ap.add_argument("--llm", default="default", help="target model (catalogue name or .gguf)")
    ap.add_argument("--draft", default="fast", help="draft model (catalogue name or .gguf), same tokenizer")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks: stop the server
    info = machine_info()
    settings = Settings.load(llm=args.llm, **({"n_threads": args.threads} if args.threads else {}))
    model = resolve(settings.llm, "llm", settings.cache_dir)
    draft = resolve(args.draft, "llm", settings.cache_dir)
    binary = find_server_binary(settings)
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60,
                             env=dict(os.environ, LD_LIBRARY_PATH=str(binary.parent)))
    prompts = build_prompts(args.n, settings)
    if not prompts:
        raise SystemExit("no prompts: evals/datasets/seeds_qa.jsonl has no matching dev rows")
    configs = [Config("(a) target, extra buffer types off", False), Config("(b) target, default", True)]
    configs += [Config(f"(c) target + draft, draft max {d}", True, int(d)) for d in args.draft_max.split(",") if d]
    results = []
    try:
        for c in configs:
            print(f"{c.name} ...", file=sys.stderr, flush=True)
            results.append(run_config(c, model, draft, settings, prompts, args.gen))
    except KeyboardInterrupt:
        print("interrupted; writing the configurations measured so far", file=sys.stderr)
    ref = next((r for r in results if r["config"].startswith("(b)") and "answers" in r), None)
    base: dict[str, Any] = next((r for r in results if r["config"].startswith("(a)") and "answers" in r), {})
    table = []
    for r in results:
        if "error" in r:
            table.append([r["config"], r["error"][:160], "", "", "", "", "", "", "", ""])
            continue
        same = 0
        if ref:
            same = sum(a["text"] == b["text"] for a, b in zip(r["answers"], ref["answers"], strict=True))
            r["same_text_as_b"] = same
        table.append([
            r["config"], _num(r["prompt_tok_s"], 1), _num(r["gen_tok_s"], 1),
            _ratio(r["gen_tok_s"], base.get("gen_tok_s")),
            f"{r['acceptance']:.2f} ({r['draft_accepted']}/{r['draft_n']})" if r["acceptance"] is not None else "-",
            _num(r["wall_s_per_answer"], 2), _ratio(base.get("wall_s_per_answer"), r["wall_s_per_answer"]),
            r["completion_tokens_mean"], f"{r['peak_rss_mb']:.0f}" if r.get("peak_rss_mb") else "-",
            f"{same}/{len(r['answers'])}" if ref else "-",
        ])
    cols = ["configuration", "prompt tok/s", "generation tok/s", "generation vs (a)", "draft accepted",
            "wall s / answer", "speed-up vs (a)", "tokens / answer", "peak RSS MB", "same text as (b)"]
    mean_prompt = next((r["prompt_tokens_mean"] for r in results if "prompt_tokens_mean" in r), "?")
    machine = finish_machine_info(info)
    server_version = (version.stdout + version.stderr).strip()
    md = [f"# Speculative decoding ({model.name} + draft {draft.name}, llama-server, same run)", "",
          f"Command: `{command_line()}`", "", machine_md(machine), "",
          f"{len(prompts)} prompts (dev-half seed questions {', '.join(p['id'] for p in prompts)}; the answerer's "
          f"prompt, {mean_prompt} prompt tokens on average, system prefix cached), greedy, at most {args.gen} "
          f"tokens, {settings.n_threads} threads, 1 slot, n_ctx {settings.n_ctx}. Draft rows: extra buffer types "
          f"on, `-md {draft.name} --spec-type draft-simple --spec-draft-n-max N`. Prompt and generation tok/s from "
          "llama-server's timings; wall = the whole request. Ratios against (a), measured in this run.", "",
          md_table(cols, table), "", *differences(results, ref),
          f"llama-server: {'; '.join(server_version.splitlines()) or '?'}"]
    write_results("speculative", {"machine": machine, "model": model.name, "draft": draft.name,
                                  "server_version": server_version, "threads": settings.n_threads,
                                  "n_ctx": settings.n_ctx, "gen": args.gen, "prompts": prompts,
                                  "results": results}, "\n".join(md))


if __name__ == "__main__":
    main()
