"""Eight people asking the web chat at once: when does each see their question, the first draft token,
and the settled answer? The one-at-a-time in-process model against llama-server parallel slots, in one run.

Each configuration starts a real ``rag serve`` (warm-up included, so loading is not counted), then
``--users`` clients send one seed question each at the same instant: real Chromium pages by default
(bench/chat_browsers.py, timed in the page), or Gradio's own Python client (``--client api``). The
``seq`` configuration is the strictly sequential baseline: the same questions, each sent when the
previous answer has settled. Times are taken from the moment a client submits:
- visible: the first update that shows the user's question in their chat (the target is <= 1 s),
- first token: the first update whose bubble holds a provisional draft (or the settled answer, when an
  answer read from the evidence by rules is shown final at once),
- answer: the update with the settled answer.

Run under the shared lock (it loads an LLM per configuration):
    flock /tmp/rag-heavy.lock python bench/chat_load.py --users 8 --slots seq,0,2
"""

from __future__ import annotations

import argparse
import html
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    SEEDS_QA,
    command_line,
    finish_machine_info,
    machine_info,
    machine_md,
    md_table,
    percentile,
    read_jsonl,
    write_results,
)

from rag.settings import PROJECT_ROOT

START_TIMEOUT_S = 900
LOGS = PROJECT_ROOT / "artifacts" / "bench"  # server logs (not committed)


@dataclass
class UserTiming:
    user: int
    question: str
    visible: float | None = None
    ack: float | None = None  # browser client: the server's first bubble for the question
    first_token: float | None = None
    answer: float | None = None
    outcome: str = ""  # answered | declined | error: ...


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def questions(n: int) -> list[str]:
    """``n`` answerable seed questions, taking the languages in turn (fixed: the first rows by id)."""
    rows = [r for r in read_jsonl(SEEDS_QA) if r.get("answerable") and not r.get("history")]
    by_lang = {lang: [r["question"] for r in rows if r["lang"] == lang] for lang in ("en", "ru", "az")}
    out: list[str] = []
    i = 0
    while len(out) < n:
        for lang in ("en", "ru", "az"):
            if len(out) < n and i < len(by_lang[lang]):
                out.append(by_lang[lang][i])
        i += 1
    return out


class Server:
    """``rag serve`` in a child process with ``slots`` parallel LLM slots (0 = in-process model, None =
    the product's default)."""

    def __init__(self, slots: int | None, llm: str, index_dir: Path, log: Path, warm: bool = True) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "RAG_INDEX_DIR": str(index_dir), "RAG_LLM": llm,
               "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
        if slots is not None:  # else the product's default
            env["RAG_LLM_SLOTS"] = str(slots)
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log
        self.out = log.open("wb")
        t0 = time.monotonic()
        cmd = [sys.executable, "-m", "rag.cli", "serve", "--port", str(self.port)] + ([] if warm else ["--no-warm-up"])
        self.proc = subprocess.Popen(cmd,
                                     cwd=PROJECT_ROOT, env=env, stdout=self.out, stderr=subprocess.STDOUT)
        self._wait()
        self.start_s = time.monotonic() - t0

    def _wait(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"rag serve exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(1)
        raise SystemExit(f"rag serve did not start within {START_TIMEOUT_S}s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.out.close()


def _text(message: Any) -> str:
    """A chat message's HTML, whether the client gives it as a string or as a list of text parts."""
    content = message.get("content", "") if isinstance(message, dict) else message
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
    return str(content)


def one_user(url: str, user: int, question: str, start: threading.Barrier, result: UserTiming) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    start.wait()
    t0 = time.monotonic()
    try:
        job = client.submit(question, [], "default", 4, "auto", "en", api_name="/ask")
        for update in job:
            chat = update[0] if isinstance(update, (list, tuple)) else []
            now = time.monotonic() - t0
            texts = [_text(m) for m in chat or []]
            if result.visible is None and any(html.escape(question) in x for x in texts):
                result.visible = now
            bubble = texts[-1] if texts else ""
            if result.first_token is None and 'class="draft"' in bubble:
                result.first_token = now
            if "answer-final" in bubble:
                result.answer = now
                result.outcome = "declined" if "refusal" in bubble else "answered"
        if result.answer is None:
            result.outcome = "error: no settled answer"
        elif result.first_token is None:
            result.first_token = result.answer  # nothing drafted: the settled answer is the first text
    except Exception as exc:  # a failed user is a result, not a crash of the benchmark
        result.outcome = f"error: {type(exc).__name__}: {exc}"[:200]


def run_browser_config(url: str, qs: list[str], sequential: bool) -> tuple[list[UserTiming], float]:
    """Real browser pages (bench/chat_browsers.py): all at once, or one after another (each user asks
    when the previous answer has settled; times then count from the first user's click)."""
    from chat_browsers import run_browsers

    t0 = time.monotonic()
    results = [UserTiming(i + 1, q) for i, q in enumerate(qs)]
    groups = [[i] for i in range(len(qs))] if sequential else [list(range(len(qs)))]
    offset = 0.0
    for group in groups:
        timings = run_browsers(url, [qs[i] for i in group])
        for i, t in zip(group, timings, strict=True):
            r = results[i]
            for key in ("visible", "ack", "first_token", "answer"):
                if t.get(key) is not None:  # seeing one's own question counts from one's own click
                    setattr(r, key, round((0.0 if key in ("visible", "ack") else offset) + float(t[key]), 3))
            r.outcome = ("declined" if t.get("declined") else "answered") if "answer" in t else "error: no answer"
        if sequential:
            offset = max(r.answer or 0.0 for r in results)
    return results, time.monotonic() - t0


def run_config(url: str, qs: list[str]) -> tuple[list[UserTiming], float]:
    results = [UserTiming(i + 1, q) for i, q in enumerate(qs)]
    barrier = threading.Barrier(len(qs))
    threads = [threading.Thread(target=one_user, args=(url, r.user, r.question, barrier, r)) for r in results]
    t0 = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results, time.monotonic() - t0


def summary(name: str, results: list[UserTiming], wall: float) -> dict[str, Any]:
    vis = [r.visible for r in results if r.visible is not None]
    ack = [r.ack for r in results if r.ack is not None]
    ft = [r.first_token for r in results if r.first_token is not None]
    ans = [r.answer for r in results if r.answer is not None]
    return {
        "config": name,
        "users": len(results),
        "answered": sum(r.outcome in ("answered", "declined") for r in results),
        "visible_max_s": round(max(vis), 2) if vis else None,
        "visible_all_within_1s": bool(vis) and len(vis) == len(results) and max(vis) <= 1.0,
        "server_bubble_max_s": round(max(ack), 2) if ack else None,
        "first_token_p50_s": round(percentile(ft, 50), 1) if ft else None,
        "first_token_max_s": round(max(ft), 1) if ft else None,
        "answer_p50_s": round(percentile(ans, 50), 1) if ans else None,
        "last_answer_s": round(max(ans), 1) if ans else None,
        "wall_s": round(wall, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--users", type=int, default=8)
    ap.add_argument("--slots", default="seq,0,2",
                    help="comma-separated configurations: llm_slots values (0 = in-process model), or 'seq' = "
                         "in-process with the users asking one after another (the strictly sequential baseline)")
    ap.add_argument("--client", choices=["browser", "api"], default="browser",
                    help="browser = real Chromium pages, timed in the page (what people see); api = Gradio's "
                         "Python client")
    ap.add_argument("--llm", default="default")
    ap.add_argument("--index", type=Path, default=Path(os.environ.get("RAG_INDEX_DIR", "/tmp/chat-load-index")),
                    help="index directory (the seeds are indexed there first if it is empty)")
    ap.add_argument("--name", default="chat_load")
    args = ap.parse_args()

    info = machine_info()
    qs = questions(args.users)
    rows: list[dict[str, Any]] = []
    per_user: dict[str, list[dict[str, Any]]] = {}
    for config in args.slots.split(","):
        sequential = config == "seq"
        slots = 0 if sequential else int(config)
        name = ("in-process, users one after another" if sequential else
                f"in-process, {len(qs)} at once" if slots == 0 else f"llama-server, {slots} slots, {len(qs)} at once")
        server = Server(slots, args.llm, args.index, LOGS / f"{args.name}_{config}.log")
        try:
            if args.client == "browser":
                results, wall = run_browser_config(server.url, qs, sequential)
            elif sequential:
                results, wall = [], 0.0
                for i, q in enumerate(qs):
                    part, took = run_config(server.url, [q])
                    for r in part:
                        r.user = i + 1
                        for key in ("first_token", "answer"):
                            if getattr(r, key) is not None:
                                setattr(r, key, round(wall + getattr(r, key), 3))
                    results += part
                    wall += took
            else:
                results, wall = run_config(server.url, qs)
        finally:
            server.stop()
        s = summary(name, results, wall)
        s["server_start_s"] = round(server.start_s, 1)
        rows.append(s)
        per_user[name] = [asdict(r) for r in results]
        print(s, file=sys.stderr)
    info = finish_machine_info(info)

    md = [f"# {args.users} chat users ({args.llm} model, {args.client} client)", "", f"Command: `{command_line()}`",
          "", machine_md(info), "",
          "Times in seconds after each user pressed Ask (sequential rows: first text and answer count from the "
          "first user's click, as if all eight had asked at once and been served one after another). "
          "visible = the question in the user's chat; server bubble = the server's first state for it "
          "(searching, place in line, draft or answer); first text = first draft token, or the settled "
          "answer when nothing is drafted.", "",
          md_table(["configuration", "answered", "question visible (max s)", "all visible <= 1 s",
                    "server bubble (max s)", "first text p50 / max (s)", "answer p50 (s)", "last answer (s)"],
                   [[r["config"], f"{r['answered']}/{r['users']}", r["visible_max_s"], r["visible_all_within_1s"],
                     r["server_bubble_max_s"], f"{r['first_token_p50_s']} / {r['first_token_max_s']}",
                     r["answer_p50_s"], r["last_answer_s"]]
                    for r in rows]), ""]
    for name, users in per_user.items():
        md += [f"## {name}", "", md_table(
            ["user", "question", "visible (s)", "server bubble (s)", "first text (s)", "answer (s)", "outcome"],
            [[u["user"], u["question"][:60], u["visible"], u["ack"], u["first_token"], u["answer"], u["outcome"]]
             for u in users]), ""]
    write_results(args.name, {"command": command_line(), "machine": info, "summary": rows, "users": per_user},
                  "\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
