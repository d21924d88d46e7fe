"""llama.cpp CPU paths and quantisations, measured with llama.cpp's own llama-bench (same build as the
product: .ci/build_llama.sh), one row per (model file, extra buffer types on/off, threads).

Rows:
- the shipped Q4_K_M with extra buffer types on (AMX tiles / weight repacking where the CPU has them)
  and off (plain kernels: the safe fallback of rag/llm/cpu_paths.py);
- the same weights requantised at provisioning time with ``llama_model_quantize`` (allow_requantize)
  to types with faster kernels (Q4_0, which ggml repacks for AVX2/AVX-512, and Q8_0).

Prompt tok/s = pp (prompt processing of --prompt tokens), generation tok/s = tg (--gen tokens), each
the mean of --reps runs; peak RSS of each llama-bench process. Requantised files are cached in
``<cache>/derived/`` with their source checksum in the name.

    nice -n 19 .venv/bin/python bench/cpu_paths.py                          # all rows, default model
    .venv/bin/python bench/cpu_paths.py --quants Q4_K_M,Q4_0 --prompt 256 --gen 32 --reps 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import command_line, finish_machine_info, machine_info, md_table, write_results

from rag.llm.server_process import find_server_binary
from rag.models.provision import resolve
from rag.settings import Settings

FTYPES = {"Q4_0": 2, "Q8_0": 7, "Q4_K_M": 15}  # llama_ftype values (llama.h)


def requantise(src: Path, quant: str, out_dir: Path) -> Path:
    """``src`` requantised to ``quant`` (cached). Re-quantising an already-quantised file loses a little
    precision, which is why a row that changes the weights must also be judged by ``rag eval``."""
    import llama_cpp

    out_dir.mkdir(parents=True, exist_ok=True)
    dst = out_dir / f"{src.stem}.{quant.lower()}.gguf"
    if dst.exists():
        return dst
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = FTYPES[quant]
    params.allow_requantize = True
    params.nthread = os.cpu_count() or 2
    tmp = dst.with_suffix(".tmp")
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(tmp).encode(), params)
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize returned {rc} for {quant}")
    os.replace(tmp, dst)
    return dst


def _vm_hwm_kb(pid: int) -> int:
    """Peak resident memory of a running process (Linux), 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def llama_bench(binary: Path, model: Path, *, repack: bool, threads: int, prompt: int, gen: int,
                reps: int) -> dict[str, Any]:
    cmd = [str(binary), "-m", str(model), "-t", str(threads), "-p", str(prompt), "-n", str(gen),
           "-r", str(reps), "--repack", "1" if repack else "0", "-o", "json"]
    env = dict(os.environ, LD_LIBRARY_PATH=str(binary.parent))
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, text=True)
        hwm_kb = 0
        while proc.poll() is None:
            hwm_kb = max(hwm_kb, _vm_hwm_kb(proc.pid))
            time.sleep(0.2)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode}: {stderr.strip()[-300:]}"}
    rows = json.loads(stdout)
    res: dict[str, Any] = {"rss_mb": hwm_kb / 1024 if hwm_kb else None}
    for r in rows:
        key = "prompt_tok_s" if r.get("n_prompt") else "gen_tok_s"
        res[key] = round(float(r["avg_ts"]), 1)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--llm", default="default")
    ap.add_argument("--quants", default="Q4_K_M,Q4_0,Q8_0", help="Q4_K_M = the shipped file")
    ap.add_argument("--threads", default="", help="comma-separated; default: the settings' n_threads")
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--gen", type=int, default=64)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    info = machine_info()
    settings = Settings.load(llm=args.llm)
    shipped = resolve(settings.llm, "llm", settings.cache_dir)
    bench_bin = find_server_binary(settings).parent / "llama-bench"
    threads = [int(t) for t in args.threads.split(",")] if args.threads else [settings.n_threads]
    results: list[dict[str, Any]] = []
    for quant in args.quants.split(","):
        model = shipped if quant == "Q4_K_M" else requantise(shipped, quant, settings.cache_dir / "derived")
        for repack in (True, False):
            for t in threads:
                r = llama_bench(bench_bin, model, repack=repack, threads=t, prompt=args.prompt, gen=args.gen,
                                reps=args.reps)
                row = {"quant": quant, "extra_bufts": repack, "threads": t, **r}
                print(row, flush=True)
                results.append(row)
    base = next((r for r in results if r["quant"] == "Q4_K_M" and not r["extra_bufts"]
                 and r["threads"] == threads[0] and "error" not in r), None)
    table = []
    for r in results:
        if "error" in r:
            table.append([r["quant"], r["extra_bufts"], r["threads"], r["error"], "", "", "", ""])
            continue
        ratio_p = r["prompt_tok_s"] / base["prompt_tok_s"] if base else float("nan")
        ratio_g = r["gen_tok_s"] / base["gen_tok_s"] if base else float("nan")
        table.append([r["quant"], "on" if r["extra_bufts"] else "off", r["threads"], r["prompt_tok_s"],
                      r["gen_tok_s"], f"{ratio_p:.2f}x", f"{ratio_g:.2f}x",
                      f"{r['rss_mb']:.0f}" if r.get("rss_mb") else "-"])
    cols = ["weights", "extra buffer types", "threads", f"prompt tok/s (pp{args.prompt})",
            f"generation tok/s (tg{args.gen})", "prompt vs Q4_K_M off", "generation vs Q4_K_M off", "peak RSS MB"]
    md = [f"# llama.cpp CPU paths ({shipped.name}, llama-bench, same run)", "", f"Command: `{command_line()}`", "",
          "Ratios are against the shipped Q4_K_M with extra buffer types off, measured in this run.", "",
          md_table(cols, table)]
    write_results(f"cpu_paths_{shipped.stem}", {"machine": finish_machine_info(info), "model": shipped.name,
                                                "results": results}, "\n".join(md))


if __name__ == "__main__":
    main()
