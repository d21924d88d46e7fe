"""Eight people asking the web chat at once: when does each see their question, the first draft token,
and the settled answer? The one-at-a-time in-process model against llama-server parallel slots, in one run.

Each configuration starts a real ``rag serve`` (warm-up included, so loading is not counted), then
``--users`` clients send one seed question each at the same instant through Gradio's own client (the
protocol the browser speaks). Times are taken from the moment a client submits:
- visible: the first update that shows the user's question in their chat (the target is <= 1 s),
- first token: the first update whose bubble holds a provisional draft,
- answer: the update with the settled answer.

Run under the shared lock (it loads an LLM per configuration):
    flock /tmp/rag-heavy.lock python bench/chat_load.py --users 8 --slots 0,2,4
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
    except Exception as exc:  # a failed user is a result, not a crash of the benchmark
        result.outcome = f"error: {type(exc).__name__}: {exc}"[:200]


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
    ft = [r.first_token for r in results if r.first_token is not None]
    ans = [r.answer for r in results if r.answer is not None]
    return {
        "config": name,
        "users": len(results),
        "answered": sum(r.outcome in ("answered", "declined") for r in results),
        "visible_max_s": round(max(vis), 2) if vis else None,
        "visible_all_within_1s": bool(vis) and len(vis) == len(results) and max(vis) <= 1.0,
        "first_token_p50_s": round(percentile(ft, 50), 1) if ft else None,
        "first_token_max_s": round(max(ft), 1) if ft else None,
        "answer_p50_s": round(percentile(ans, 50), 1) if ans else None,
        "last_answer_s": round(max(ans), 1) if ans else None,
        "wall_s": round(wall, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--users", type=int, default=8)
    ap.add_argument("--slots", default="0,2", help="comma-separated llm_slots values; 0 = in-process model")
    ap.add_argument("--llm", default="default")
    ap.add_argument("--index", type=Path, default=Path(os.environ.get("RAG_INDEX_DIR", "/tmp/chat-load-index")),
                    help="index directory (the seeds are indexed there first if it is empty)")
    ap.add_argument("--name", default="chat_load")
    args = ap.parse_args()

    info = machine_info()
    qs = questions(args.users)
    rows: list[dict[str, Any]] = []
    per_user: dict[str, list[dict[str, Any]]] = {}
    for slots in [int(x) for x in args.slots.split(",")]:
        name = "in-process, one at a time" if slots == 0 else f"llama-server, {slots} slots"
        server = Server(slots, args.llm, args.index, LOGS / f"{args.name}_{slots}.log")
        try:
            results, wall = run_config(server.url, qs)
        finally:
            server.stop()
        s = summary(name, results, wall)
        s["server_start_s"] = round(server.start_s, 1)
        rows.append(s)
        per_user[name] = [asdict(r) for r in results]
        print(s, file=sys.stderr)
    info = finish_machine_info(info)

    md = [f"# {args.users} concurrent chat users ({args.llm} model)", "", f"Command: `{command_line()}`", "",
          machine_md(info), "",
          md_table(["configuration", "answered", "question visible (max s)", "all visible <= 1 s",
                    "first token p50 / max (s)", "answer p50 (s)", "last answer (s)"],
                   [[r["config"], f"{r['answered']}/{r['users']}", r["visible_max_s"], r["visible_all_within_1s"],
                     f"{r['first_token_p50_s']} / {r['first_token_max_s']}", r["answer_p50_s"], r["last_answer_s"]]
                    for r in rows]), ""]
    for name, users in per_user.items():
        md += [f"## {name}", "", md_table(
            ["user", "question", "visible (s)", "first token (s)", "answer (s)", "outcome"],
            [[u["user"], u["question"][:60], u["visible"], u["first_token"], u["answer"], u["outcome"]]
             for u in users]), ""]
    write_results(args.name, {"command": command_line(), "machine": info, "summary": rows, "users": per_user},
                  "\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
