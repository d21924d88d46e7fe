"""The first question after ``rag serve`` starts versus a warm one (time to the first draft token).

``rag serve`` loads the embedder, the index and the LLM before it listens (``RAG.warm_up``), so the
first person to ask should wait no longer than anyone later; the target is a first question within
1.5x of a warm one. Each configuration is a fresh server; the questions are asked one after another
through Gradio's client, as a browser would. ``--no-warm-up`` shows what the warm-up saves.

    flock /tmp/rag-heavy.lock python bench/first_question.py
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import command_line, finish_machine_info, machine_info, machine_md, md_table, percentile, write_results
from chat_load import LOGS, Server, UserTiming, one_user, questions


def ask_in_turn(url: str, qs: list[str]) -> list[UserTiming]:
    out = []
    for i, q in enumerate(qs, 1):
        r = UserTiming(i, q)
        one_user(url, i, q, threading.Barrier(1), r)
        out.append(r)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--llm", default="default")
    ap.add_argument("--slots", type=int, help="llm_slots of the server (0 = in-process model; default: the "
                                              "product's default)")
    ap.add_argument("--warm", type=int, default=3, help="warm questions after the first")
    ap.add_argument("--index", type=Path, default=Path("/tmp/chat-load-index"))
    args = ap.parse_args()
    info = machine_info()
    qs = questions(1 + args.warm)
    rows: list[list[Any]] = []
    data: dict[str, Any] = {}
    for warm in (True, False):
        name = "warm-up at start" if warm else "no warm-up (--no-warm-up)"
        server = Server(args.slots, args.llm, args.index, LOGS / f"first_question_{'warm' if warm else 'cold'}.log",
                        warm=warm)
        try:
            res = ask_in_turn(server.url, qs)
        finally:
            server.stop()
        first = res[0].first_token
        later = [r.first_token for r in res[1:] if r.first_token is not None]
        warm_p50 = percentile(later, 50) if later else None
        ratio = round(first / warm_p50, 2) if first is not None and warm_p50 else None
        rows.append([name, round(server.start_s, 1), first, round(warm_p50, 2) if warm_p50 else None, ratio,
                     res[0].answer])
        data[name] = {"server_start_s": server.start_s, "users": [r.__dict__ for r in res], "ratio": ratio}
    info = finish_machine_info(info)
    slots = "default" if args.slots is None else args.slots
    md = [f"# First question after `rag serve` starts vs warm ones ({args.llm} model, llm_slots={slots})", "",
          f"Command: `{command_line()}`", "", machine_md(info), "",
          md_table(["server", "start to listening (s)", "first question: first token (s)",
                    "warm questions: first token p50 (s)", "ratio", "first question: answer (s)"], rows)]
    write_results("first_question", {"command": command_line(), "machine": info, "runs": data}, "\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
