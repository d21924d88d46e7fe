"""Any OpenAI-compatible chat server (llama.cpp's server, vLLM, ...), for users who serve the model
elsewhere. We send the same messages as locally, so answers and citations behave the same."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rag.errors import LLMError
from rag.llm.base import Message, Usage
from rag.settings import Settings


class OpenAICompatibleLLM:
    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        self.settings = settings
        self.client = OpenAI(base_url=settings.llm_url, api_key=settings.llm_api_key,
                             timeout=settings.timeout_s, max_retries=1)
        self.name = f"{settings.llm_api_model}@{settings.llm_url}"

    def stream_chat(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        stop: Sequence[str] = (),
        usage: Usage | None = None,
    ) -> Iterator[str]:
        import openai

        try:
            stream = self.client.chat.completions.create(  # type: ignore[call-overload]
                model=self.settings.llm_api_model,
                messages=list(messages),
                stream=True,
                temperature=self.settings.temperature,
                seed=self.settings.seed,
                max_tokens=max_tokens,
                stop=list(stop) or None,
                stream_options={"include_usage": True},
            )
            produced = 0
            for chunk in stream:
                if chunk.usage is not None and usage is not None:
                    usage.prompt_tokens = chunk.usage.prompt_tokens
                    usage.completion_tokens = chunk.usage.completion_tokens
                if chunk.choices and chunk.choices[0].delta.content:
                    produced += 1
                    if usage is not None and not usage.prompt_tokens:
                        usage.completion_tokens = produced
                    yield chunk.choices[0].delta.content
        except openai.APIError as exc:
            raise LLMError(f"LLM server {self.settings.llm_url} failed: {exc}",
                           fix="check that the server is running and --llm-url ends in /v1") from exc
