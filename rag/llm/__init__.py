"""Language-model backends behind one small interface: local llama.cpp, llama.cpp's server as a managed
child process, or any OpenAI-compatible server."""

from rag.llm.base import LLM, Message, Usage
from rag.llm.factory import load_llm

__all__ = ["LLM", "Message", "Usage", "load_llm"]
