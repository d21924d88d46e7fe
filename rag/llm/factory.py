"""Picks the LLM backend from settings.

- ``llm_url`` set: the user's own OpenAI-compatible server (llama.cpp's server, vLLM, ...).
- ``slots`` > 0 (``rag serve`` by default): llama.cpp's server as a managed child process, so a model
  fault cannot kill the caller and users share the model through parallel slots.
- otherwise: llama.cpp in this process, on CPU paths a child-process probe found safe (cpu_paths).
"""

from __future__ import annotations

from rag.llm.base import LLM
from rag.settings import Settings


def load_llm(settings: Settings, *, slots: int = 0) -> LLM:
    if settings.llm_url:
        from rag.llm.remote import OpenAICompatibleLLM

        return OpenAICompatibleLLM(settings)
    from rag.llm import cpu_paths
    from rag.models.provision import resolve

    model = resolve(settings.llm, "llm", settings.cache_dir)
    verdict = cpu_paths.decide(model, settings)
    if verdict.probes and not verdict.probes[-1].ok:
        from rag.errors import LLMError

        last = verdict.probes[-1]
        raise LLMError(f"the model {model.name} did not load and answer in a test run (child process ended "
                       f"with {last.signal or f'exit code {last.returncode}'}: {last.detail[-200:]})",
                       fix="check the file (`rag models list --verify`; `rag models pull --force` restores a "
                           "catalogue model), or run `bash .ci/setup` to rebuild llama.cpp for this machine")
    if slots > 0:
        from rag.llm.server_process import ManagedLlamaServer, ServerLLM

        server = ManagedLlamaServer(model, settings, slots=slots, extra_bufts=verdict.extra_bufts)
        server.start()
        return ServerLLM(server, settings)
    from rag.llm.local import LlamaCppLLM

    return LlamaCppLLM(model, settings, extra_bufts=verdict.extra_bufts)
