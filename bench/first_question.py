"""The first question after ``rag serve`` starts versus the same question on a warm server.

``rag serve`` loads the embedder, the index and the LLM before it listens (``RAG.warm_up``), so the
first person to ask should wait no longer than anyone later; the target is a first question within
1.5x of a warm one. The same question is timed twice, each on a fresh server: once as the very first
question, once after ``--warm`` other questions (so the comparison is not between an easy and a hard
question, and a repeat cannot hit a cache). ``--no-warm-up`` shows what the warm-up saves. Times are
to the first useful text: the first draft token, or the settled answer when nothing is drafted (an
answer read from the evidence by rules is final at once). Questions go through Gradio's client, one
after another, as a browser sends them.

    flock /tmp/rag-heavy.lock python bench/first_question.py
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import command_line, finish_machine_info, machine_info, machine_md, md_table, write_results
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
    ap.add_argument("--warm", type=int, default=3, help="other questions before the timed one on the warm server")
    ap.add_argument("--targets", type=lambda v: [int(x) for x in v.split(",")], default=[0, 3],
                    help="which of chat_load's questions are timed (0: a date read by rules, 3: one the LLM "
                         "writes)")
    ap.add_argument("--index", type=Path, default=Path("/tmp/chat-load-index"))
    args = ap.parse_args()
    info = machine_info()
    pool = questions(max(args.targets) + 1 + args.warm)
    rows: list[list[Any]] = []
    data: dict[str, Any] = {}
    for i, t in enumerate(args.targets):
        target = pool[t]
        others = [q for q in pool if q != target][: args.warm]
        runs = [("first question, warm-up at start", True, [target]),
                (f"same question after {len(others)} others", True, [*others, target])]
        if i == 0:
            runs.append(("first question, no warm-up (--no-warm-up)", False, [target]))
        seen: dict[str, float | None] = {}
        for name, warm, asked in runs:
            server = Server(args.slots, args.llm, args.index, LOGS / f"first_question_{t}_{len(seen)}.log",
                            warm=warm)
            try:
                res = ask_in_turn(server.url, asked)
            finally:
                server.stop()
            last = res[-1]
            useful = last.first_token if last.first_token is not None else last.answer
            seen[name] = useful
            data[f"{target} | {name}"] = {"server_start_s": server.start_s, "users": [r.__dict__ for r in res]}
            rows.append([target[:60], name, round(server.start_s, 1), useful, None, last.answer, last.outcome])
        warm_s = seen[runs[1][0]]
        for row in rows[-len(runs):]:
            v = seen[row[1]]
            row[4] = round(v / warm_s, 2) if v is not None and warm_s else None
    info = finish_machine_info(info)
    slots = "default" if args.slots is None else args.slots
    md = [f"# First question after `rag serve` starts vs warm ones ({args.llm} model, llm_slots={slots})", "",
          f"Command: `{command_line()}`", "", machine_md(info), "",
          md_table(["question", "run", "server start to listening (s)", "first useful text (s)", "ratio to warm",
                    "settled answer (s)", "outcome"], rows)]
    write_results("first_question", {"command": command_line(), "machine": info, "runs": data}, "\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
