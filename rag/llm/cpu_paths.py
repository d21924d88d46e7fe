"""Which llama.cpp CPU code paths are safe on this machine, decided once by a child process.

ggml picks "extra buffer types" (AMX tiles, AVX2/AVX-512 weight repacking) from the CPU it runs on.
One of them, the AMX path, faulted on CPUs that have AMX (an invalid tile configuration; the build
carries a fix, .ci/patches/). A fault is a signal that kills the whole process, so the product never
finds out in-process: before the first in-process load of a model on a machine, a child process
loads it with exactly the product's parameters and decodes a few tokens. If the child dies, this
machine loads with the extra buffer types off (plain ggml kernels, measured no slower for prompt
reading: bench/llm_speed.py). The verdict is cached per (CPU flags, llama.cpp build, model file).

``RAG_LLM_CPU_PATHS`` / ``--llm-cpu-paths``: ``auto`` (probe, cached), ``safe`` (extra buffer types
off, no probe), ``fast`` (on, no probe: the user takes the risk).

Safe is also faster except with AMX, so ``auto`` turns the extra buffer types on only on a CPU with
AMX tiles whose probe passed. For an answer (~650 prompt tokens, ~50 generated) on the 1.5B Q4_K_M:
on this project's AVX2 EPYC, repacking read 34 vs 40 prompt tok/s and wrote 7.1 vs 8.2 tok/s, with
600 MB more memory (bench/cpu_paths.py, docs/llm_cpu.md); on a Sapphire Rapids CPU the AMX path read
145 vs 147 and wrote 13.9 vs 11.0 tok/s (~10 % faster per answer), while AVX-512 repacking without
AMX read 100 vs 139 and wrote 13.7 vs 11.2 (slower per answer).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rag.settings import Settings

PROBE_TIMEOUT_S = 600.0
# A prompt long enough that ggml multiplies whole matrices (batch > 1), which is where the AMX kernel
# runs, in the three languages the product reads.
PROBE_PROMPT = (
    "Answer from the passages. [1] The forum takes place on 5-8 May in New York. "
    "[2] Forum mayın 5-8-də Nyu-Yorkda keçiriləcək. [3] Форум пройдёт 5-8 мая в Нью-Йорке. "
) * 3 + "Question: when is the forum? Answer:"
# Test hook: names the path ("fast" or "safe") on which the child kills itself with SIGSEGV, so the
# fallback can be tested on machines whose CPU does not fault.
FAULT_ENV = "RAG_CPU_PROBE_FAULT"
# Part of the cache key: verdicts made by an older rule (extra buffer types on wherever they ran) are
# decided again.
DECISION_RULE = "amx-only"


@dataclass
class ProbeOutcome:
    path: str  # "fast" (extra buffer types on) or "safe"
    ok: bool
    returncode: int
    signal: str | None
    seconds: float
    detail: str


@dataclass
class CpuVerdict:
    extra_bufts: bool  # what the product loads with
    mode: str  # the setting that decided it: auto | safe | fast
    probes: list[ProbeOutcome]
    cached: bool = False

    @property
    def label(self) -> str:
        return "fast (extra buffer types on)" if self.extra_bufts else "safe (extra buffer types off)"


def has_amx() -> bool:
    """The CPU reports AMX tiles (``amx_tile`` in /proc/cpuinfo)."""
    try:
        return " amx_tile" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


def cpu_flags_key() -> str:
    """Hash of the CPU's feature flags: a verdict never carries over to another CPU kind."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = " ".join(sorted(line.split(":", 1)[1].split()))
                return hashlib.sha256(flags.encode()).hexdigest()[:12]
    except OSError:
        pass
    import platform

    return hashlib.sha256(platform.processor().encode()).hexdigest()[:12]


def _build_key() -> str:
    """The llama.cpp build in use: version plus the content of its CPU kernels library (a re-install of
    the same build keeps the verdict; a rebuild with other flags or patches does not)."""
    import llama_cpp

    lib_dir = Path(llama_cpp.__file__).parent / "lib"
    h = hashlib.sha256(llama_cpp.__version__.encode())
    for lib in sorted(p for p in lib_dir.glob("libggml-cpu*.so*") if not p.is_symlink()):
        h.update(lib.read_bytes())
    return h.hexdigest()[:12]


def _model_key(model: Path) -> str:
    st = model.stat()
    return f"{model.name}:{st.st_size}:{int(st.st_mtime)}"


def cache_file(settings: Settings) -> Path:
    return settings.cache_dir / "cpu_paths.json"


def _read_cache(settings: Settings) -> dict[str, dict]:
    try:
        data = json.loads(cache_file(settings).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_cache(settings: Settings, data: dict[str, dict]) -> None:
    path = cache_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def probe(model: Path, settings: Settings, *, extra_bufts: bool) -> ProbeOutcome:
    """Load ``model`` in a child process with the product's parameters and decode a few tokens."""
    path = "fast" if extra_bufts else "safe"
    cmd = [sys.executable, "-m", "rag.llm.cpu_paths", str(model), "1" if extra_bufts else "0",
           str(settings.n_threads), str(settings.n_ctx), str(settings.seed)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return ProbeOutcome(path, False, -1, None, time.perf_counter() - t0, "timed out")
    rc = proc.returncode
    sig = signal.Signals(-rc).name if rc < 0 and -rc in signal.Signals._value2member_map_ else None
    tail = (proc.stdout.strip().splitlines() or [""])[-1] if rc == 0 else proc.stderr.strip()[-300:]
    return ProbeOutcome(path, rc == 0, rc, sig, round(time.perf_counter() - t0, 2), tail)


def decide(model: Path, settings: Settings, *, refresh: bool = False) -> CpuVerdict:
    """The CPU paths to load ``model`` with, probing in a child process when ``auto`` has no verdict."""
    mode = settings.llm_cpu_paths
    if mode == "safe":
        return CpuVerdict(False, mode, [])
    if mode == "fast":
        return CpuVerdict(True, mode, [])
    key = f"{cpu_flags_key()}|{_build_key()}|{_model_key(model)}|{DECISION_RULE}"
    cache = _read_cache(settings)
    if not refresh and key in cache:
        entry = cache[key]
        return CpuVerdict(bool(entry["extra_bufts"]), mode,
                          [ProbeOutcome(**p) for p in entry.get("probes", [])], cached=True)
    probes = [probe(model, settings, extra_bufts=True)]
    if not probes[0].ok:
        # The fast path died or failed: check the plain path, so we know the model loads at all.
        probes.append(probe(model, settings, extra_bufts=False))
    # Safe to run is not worth running: only the AMX path measured faster than the plain kernels.
    verdict = CpuVerdict(probes[0].ok and has_amx(), mode, probes)
    if probes[0].ok or probes[-1].ok:
        cache[key] = {"extra_bufts": verdict.extra_bufts, "probes": [asdict(p) for p in probes],
                      "model": str(model), "when": time.strftime("%Y-%m-%dT%H:%M:%S")}
        _write_cache(settings, cache)
    return verdict


def cached_verdicts(settings: Settings) -> list[dict]:
    """What ``rag models list`` shows: every verdict recorded for this CPU kind."""
    mine = cpu_flags_key()
    return [dict(v, key=k) for k, v in _read_cache(settings).items() if k.startswith(mine + "|")]


def _child(argv: list[str]) -> int:
    """Runs in the probe's child process: load, decode, print the tokens. A fault kills only us."""
    model, extra, n_threads, n_ctx, seed = argv
    from rag.llm.local import open_llama

    fast = extra == "1"
    llama = open_llama(Path(model), n_threads=int(n_threads), n_ctx=int(n_ctx), seed=int(seed),
                       extra_bufts=fast)
    if os.environ.get(FAULT_ENV) == ("fast" if fast else "safe"):
        os.kill(os.getpid(), signal.SIGSEGV)
    out = llama.create_completion(PROBE_PROMPT, max_tokens=4, temperature=0.0, top_k=1, seed=int(seed))
    text = out["choices"][0]["text"]  # type: ignore[index]
    print(json.dumps({"ok": True, "text": text}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
