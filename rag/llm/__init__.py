"""Language-model backends behind one small interface: local llama.cpp, or an OpenAI-compatible server."""

from rag.llm.base import LLM, Message, load_llm

__all__ = ["LLM", "Message", "load_llm"]
