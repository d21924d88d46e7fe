"""The local LLM must never crash the product, whatever the CPU (AMX faulted: .ci/patches/).

These run the real shipped GGUF files and the real llama.cpp build, in child processes, exactly as the
product loads them; on a machine whose kernels fault, the first test fails instead of the first user.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from rag.llm import cpu_paths
from rag.llm.server_process import ManagedLlamaServer, ServerLLM
from rag.models.catalog import CATALOG
from rag.models.provision import resolve
from rag.settings import Settings

pytestmark = pytest.mark.slow

LLMS = [name for name, spec in CATALOG.items() if spec.kind == "llm"]


@pytest.fixture
def probe_settings(base_settings: Settings, tmp_path: Path) -> Settings:
    """The product's settings with a private verdict cache, so each test probes for real."""
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "models").symlink_to(base_settings.cache_dir / "models")
    return base_settings.replace(cache_dir=cache)


@pytest.mark.parametrize("name", LLMS)
def test_each_shipped_gguf_decodes_in_a_child_with_the_products_parameters(name: str,
                                                                           probe_settings: Settings) -> None:
    """Default buffer types (AMX / repacking where the CPU has them): the path that faulted."""
    model = resolve(name, "llm", probe_settings.cache_dir)
    outcome = cpu_paths.probe(model, probe_settings, extra_bufts=True)
    assert outcome.ok, f"{name} died on this CPU: rc={outcome.returncode} {outcome.signal} {outcome.detail}"
    assert outcome.returncode == 0 and '"ok": true' in outcome.detail


def test_fast_and_safe_paths_decode_the_same_tokens(probe_settings: Settings) -> None:
    """Temperature 0: the extra-buffer-type kernels must compute what the plain kernels compute."""
    model = resolve("default", "llm", probe_settings.cache_dir)
    fast = cpu_paths.probe(model, probe_settings, extra_bufts=True)
    safe = cpu_paths.probe(model, probe_settings, extra_bufts=False)
    assert fast.ok and safe.ok
    assert fast.detail == safe.detail


def test_a_faulting_fast_path_falls_back_to_safe_and_is_remembered(probe_settings: Settings,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the child to die with SIGSEGV on the fast path, as the AMX kernel did."""
    model = resolve("tiny", "llm", probe_settings.cache_dir)
    monkeypatch.setenv(cpu_paths.FAULT_ENV, "fast")
    verdict = cpu_paths.decide(model, probe_settings)
    assert verdict.extra_bufts is False and not verdict.cached
    assert verdict.probes[0].signal == "SIGSEGV" and not verdict.probes[0].ok
    assert verdict.probes[1].ok
    monkeypatch.delenv(cpu_paths.FAULT_ENV)
    again = cpu_paths.decide(model, probe_settings)
    assert again.cached and again.extra_bufts is False  # no second probe; the machine is known
    shown = cpu_paths.cached_verdicts(probe_settings)
    assert len(shown) == 1 and shown[0]["extra_bufts"] is False


def test_the_product_loads_in_process_on_the_probed_path(probe_settings: Settings,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.llm.factory import load_llm
    from rag.llm.local import LlamaCppLLM

    monkeypatch.setenv(cpu_paths.FAULT_ENV, "fast")
    llm = load_llm(probe_settings.replace(llm="tiny"))
    assert isinstance(llm, LlamaCppLLM) and llm.extra_bufts is False
    text = "".join(llm.stream_chat([{"role": "user", "content": "Say hello."}], max_tokens=8))
    assert text.strip()


def test_when_no_path_runs_the_user_gets_a_product_error(probe_settings: Settings,
                                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from rag.errors import LLMError
    from rag.llm.factory import load_llm

    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"GGUF" + os.urandom(4096))
    with pytest.raises(LLMError) as err:
        load_llm(probe_settings.replace(llm=str(junk)))
    assert "did not load" in err.value.message and err.value.fix


def test_managed_server_survives_a_crashed_model_process(probe_settings: Settings) -> None:
    """The chat's LLM runs in llama-server: kill it with SIGSEGV mid-life; the next question is answered
    by a restarted server, on the safe CPU paths."""
    model = resolve("tiny", "llm", probe_settings.cache_dir)
    server = ManagedLlamaServer(model, probe_settings.replace(n_ctx=1024), slots=2, extra_bufts=True)
    server.start()
    llm = ServerLLM(server, probe_settings)
    try:
        messages = [{"role": "user", "content": "Name the capital of France."}]
        first = "".join(llm.stream_chat(messages, max_tokens=8))  # type: ignore[arg-type]
        assert first.strip()
        assert server.proc is not None
        os.kill(server.proc.pid, signal.SIGSEGV)
        server.proc.wait(timeout=30)
        second = "".join(llm.stream_chat(messages, max_tokens=8))  # type: ignore[arg-type]
        assert second.strip()
        assert server.restarts == 1 and server.alive() and server.extra_bufts is False
    finally:
        llm.close()
    assert not server.alive()


def test_server_and_in_process_model_give_the_same_answer(probe_settings: Settings) -> None:
    from rag.llm.factory import load_llm

    messages = [{"role": "system", "content": "Answer briefly."},
                {"role": "user", "content": "Name the capital of France."}]
    settings = probe_settings.replace(llm="tiny", llm_cpu_paths="safe")
    local = load_llm(settings)
    served = load_llm(settings, slots=1)
    try:
        a = "".join(local.stream_chat(messages, max_tokens=24))  # type: ignore[arg-type]
        b = "".join(served.stream_chat(messages, max_tokens=24))  # type: ignore[arg-type]
    finally:
        served.close()  # type: ignore[attr-defined]
    assert a.strip() and a.strip() == b.strip()
