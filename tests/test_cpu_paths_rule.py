"""The auto rule of rag.llm.cpu_paths: extra buffer types only where they run (probe) and pay (AMX).

The probes themselves run real models in tests/test_llm_cpu_safety.py; here the probe is replaced so
the rule can be checked for a CPU with and without AMX on any machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.llm import cpu_paths
from rag.settings import Settings


@pytest.mark.parametrize(("amx", "fast_ok", "expected"), [
    (True, True, True),     # AMX and its kernels run: the measured faster path
    (False, True, False),   # no AMX: repacking runs but reads and writes slower (docs/llm_cpu.md)
    (True, False, False),   # the fast path died: safe
])
def test_auto_turns_extra_buffer_types_on_only_with_amx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        amx: bool, fast_ok: bool, expected: bool) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    calls: list[bool] = []

    def fake_probe(_model: Path, _settings: Settings, *, extra_bufts: bool) -> cpu_paths.ProbeOutcome:
        calls.append(extra_bufts)
        ok = fast_ok or not extra_bufts
        return cpu_paths.ProbeOutcome("fast" if extra_bufts else "safe", ok, 0 if ok else -11,
                                      None if ok else "SIGSEGV", 0.1, "")

    monkeypatch.setattr(cpu_paths, "probe", fake_probe)
    monkeypatch.setattr(cpu_paths, "has_amx", lambda: amx)
    settings = Settings().replace(cache_dir=tmp_path / "cache", llm_cpu_paths="auto")
    verdict = cpu_paths.decide(model, settings)
    assert verdict.extra_bufts is expected
    assert calls[0] is True  # the fast path is always probed: a crash is recorded even where unused
    again = cpu_paths.decide(model, settings)
    assert again.cached and again.extra_bufts is expected and len(calls) == (1 if fast_ok else 2)
