"""llama.cpp in-process. One model instance, guarded by a lock: llama.cpp contexts are not re-entrant,
and several chat users share the instance (the web UI queues them).

Before the first load on a machine, ``rag.llm.cpu_paths`` checks in a child process that ggml's CPU
paths do not fault here, so a bad kernel can never kill the product (it kills the probe instead)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rag.errors import LLMError
from rag.llm.base import Message, Usage
from rag.settings import Settings

if TYPE_CHECKING:
    from llama_cpp import Llama

_params_lock = threading.Lock()


def open_llama(path: Path, *, n_threads: int, n_ctx: int, seed: int, extra_bufts: bool = True,
               **kwargs: Any) -> Llama:
    """``llama_cpp.Llama`` with ggml's extra buffer types (AMX, weight repacking) on or off.

    llama-cpp-python takes no argument for ``use_extra_bufts``; it builds the model parameters from
    ``llama_model_default_params()`` inside its constructor, so we hand it defaults with the field set.
    """
    import llama_cpp
    import llama_cpp.llama_cpp as low

    with _params_lock:
        original = low.llama_model_default_params

        def params() -> Any:
            p = original()
            p.use_extra_bufts = extra_bufts
            return p

        low.llama_model_default_params = params
        try:
            return llama_cpp.Llama(model_path=str(path), n_threads=n_threads, n_ctx=n_ctx, seed=seed,
                                   verbose=False, **kwargs)
        finally:
            low.llama_model_default_params = original


class LlamaCppLLM:
    def __init__(self, path: Path, settings: Settings, extra_bufts: bool = True) -> None:
        draft = None
        if settings.prompt_lookup:
            # Answers copy names and dates from the passages, which prompt-lookup decoding predicts well.
            from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

            draft = LlamaPromptLookupDecoding(num_pred_tokens=8)
        try:
            self.model = open_llama(
                path,
                n_threads=settings.n_threads,
                n_ctx=settings.n_ctx,
                seed=settings.seed,
                extra_bufts=extra_bufts,
                draft_model=draft,
                # A draft model makes llama-cpp-python keep logits for every token, but it sizes that
                # buffer from this argument: without it, any prompt over n_batch (512) tokens crashes
                # ("could not broadcast ... into shape (0,)"). The buffer is n_ctx x vocab floats.
                logits_all=draft is not None,
            )
        except (ValueError, RuntimeError) as exc:
            raise LLMError(f"could not load GGUF model {path}: {exc}",
                           fix="check the file, or run `rag models pull` to restore the default") from exc
        self.name = path.name
        self.extra_bufts = extra_bufts
        self.settings = settings
        self.lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream_chat(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        stop: Sequence[str] = (),
        usage: Usage | None = None,
    ) -> Iterator[str]:
        with self.lock:
            stream = self.model.create_chat_completion(
                messages=list(messages),  # type: ignore[arg-type]
                stream=True,
                temperature=self.settings.temperature,
                top_k=1,
                seed=self.settings.seed,
                max_tokens=max_tokens,
                stop=list(stop) or None,
            )
            produced = 0
            try:
                for chunk in cast(Iterator[Any], stream):
                    piece: str | None = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        produced += 1
                        if usage is not None:
                            usage.completion_tokens = produced
                        yield piece
            finally:
                if usage is not None:
                    # llama.cpp's streaming chunks carry no usage; the prompt length is what was evaluated.
                    usage.prompt_tokens = int(self.model.n_tokens) - produced
                    usage.completion_tokens = produced
                close = getattr(stream, "close", None)
                if close:
                    close()
