"""How fast the local LLM reads a prompt and writes an answer, per llama.cpp setting.

Prompt reading is most of an answer's latency on 2 cores, so this measures exactly the product's
case: the fixed system prefix is read once (cached in llama.cpp's KV cache), then each question adds a
user message of real seed text (1,100 characters: ~580 tokens of Azerbaijani, more than the selector's
260-token context, since Azerbaijani tokenises poorly);
time to first token is the reading of that user part, then ``--gen`` tokens are generated.

Each variant loads the model afresh with the parameters ``LlamaCppLLM`` uses plus the variant's, asks
``--questions`` different user messages (each shares only the system prefix with the one before, as
in the product), and reports p50 of: prompt tokens read, time to first token, prompt tokens/s, and
generation tokens/s; with peak RSS.

    nice -n 19 .venv/bin/python bench/llm_speed.py                       # default 1.5B model
    nice -n 19 .venv/bin/python bench/llm_speed.py --llm fast --questions 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import command_line, finish_machine_info, machine_info, md_table, peak_rss_mb, write_results

from rag.answer.prompt import SYSTEM
from rag.models.provision import resolve
from rag.settings import PROJECT_ROOT, Settings

VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "flash_attn": {"flash_attn": True},
    "n_batch 128": {"n_batch": 128, "n_ubatch": 128},
}


def user_messages(n: int, chars: int = 1100) -> list[str]:
    """Slices of the seed articles, each a different user message (~580 tokens for 1,100 characters)."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((PROJECT_ROOT / "seeds").glob("*.txt")))
    step = max(1, (len(text) - chars) // max(1, n))
    return [f"Question: What happened?\n\nPassages:\n<<<\n[1] {text[i * step:i * step + chars]}\n>>>\n\n"
            f"Question: What happened?\nAnswer the question in English, citing passages like [1]."
            for i in range(n)]


def measure(path: Path, settings: Settings, extra: dict[str, Any], questions: list[str], gen: int
            ) -> dict[str, Any]:
    from llama_cpp import Llama

    llm = Llama(model_path=str(path), n_threads=settings.n_threads, n_ctx=settings.n_ctx, seed=settings.seed,
                verbose=False, **extra)
    # Read the system prefix once, as the first question of a session does.
    llm.create_chat_completion([{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Hi"}],
                               max_tokens=1, temperature=0.0)
    rows = []
    for q in questions:
        before = time.perf_counter()
        first = None
        n = 0
        stream = llm.create_chat_completion([{"role": "system", "content": SYSTEM}, {"role": "user", "content": q}],
                                            max_tokens=gen, temperature=0.0, top_k=1, stream=True)
        for chunk in cast(Iterator[Any], stream):
            if chunk["choices"][0]["delta"].get("content"):
                n += 1
                if first is None:
                    first = time.perf_counter() - before
        total = time.perf_counter() - before
        prompt_tokens = int(llm.n_tokens) - n
        user_tokens = len(llm.tokenize(q.encode("utf-8"), add_bos=False))
        first = first if first is not None else total
        rows.append({"prompt_tokens": prompt_tokens, "user_tokens": user_tokens, "first_token_s": first,
                     "prompt_tok_per_s": user_tokens / first if first else 0.0,
                     "gen_tok_per_s": (n - 1) / (total - first) if n > 1 and total > first else 0.0})
    del llm
    med = {k: round(statistics.median(r[k] for r in rows), 3) for k in rows[0]}
    return {"rows": rows, "median": med}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--llm", default=None, help="default | fast | path to a .gguf (default: the settings')")
    ap.add_argument("--questions", type=int, default=6)
    ap.add_argument("--gen", type=int, default=32, help="tokens to generate per question")
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names of VARIANTS")
    args = ap.parse_args()
    info = machine_info()
    settings = Settings.load(**({"llm": args.llm} if args.llm else {}))
    path = resolve(settings.llm, "llm", settings.cache_dir)
    questions = user_messages(args.questions)
    results = {}
    for name in args.variants.split(","):
        results[name] = measure(path, settings, VARIANTS[name], questions, args.gen)
        print(name, results[name]["median"], flush=True)
    cols = ["variant", "user tokens", "first token p50 (s)", "prompt tok/s", "generation tok/s"]
    table = [[n, r["median"]["user_tokens"], r["median"]["first_token_s"], r["median"]["prompt_tok_per_s"],
              r["median"]["gen_tok_per_s"]] for n, r in results.items()]
    md = [f"# LLM speed ({path.name}, {settings.n_threads} threads)", "", f"Command: `{command_line()}`", "",
          "Time to first token = reading the user message after the cached system prefix.", "",
          md_table(cols, table), "", f"Peak RSS {peak_rss_mb():.0f} MB (all variants, one process)."]
    write_results(f"llm_speed_{path.stem}", {"machine": finish_machine_info(info), "model": path.name,
                                             "results": results}, "\n".join(md))


if __name__ == "__main__":
    main()
