"""llama.cpp's own ``llama-server`` as a managed child process: the web chat's LLM lives outside the
chat process, so a model fault cannot take the chat down, and several users share the model through
the server's parallel slots (continuous batching) instead of queueing for one in-process context.

The binary is built from the same pinned, patched llama.cpp source as the in-process library
(.ci/build_llama.sh installs it in ``.venv/libexec/llama-cpp``). We talk to it through the ordinary
OpenAI-compatible backend (``rag.llm.remote``): the same path a user takes with ``--llm-url`` against
their own llama.cpp server or vLLM. No server of our own.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

from rag.errors import LLMError
from rag.llm.base import Message, Usage
from rag.llm.remote import OpenAICompatibleLLM
from rag.settings import Settings

log = logging.getLogger("rag.llm")
START_TIMEOUT_S = 300.0


def find_server_binary(settings: Settings) -> Path:
    """``llm_server_bin`` if set, else the one the set-up installed, else ``llama-server`` on PATH."""
    candidates = [settings.llm_server_bin] if settings.llm_server_bin else [
        str(Path(sys.prefix) / "libexec" / "llama-cpp" / "llama-server"), shutil.which("llama-server") or ""]
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return Path(c)
    raise LLMError("llama-server (llama.cpp's server) is not installed",
                   fix="run `bash .ci/setup` (it builds it), set RAG_LLM_SERVER_BIN, or use --llm-slots 0 "
                       "for the in-process model")


def _die_with_parent() -> None:
    """In the child before exec: get SIGKILL when the chat process dies, even by kill -9 (Linux).
    SIGKILL, not SIGTERM: after `rag serve` was stopped, llama-server processes that had been sent
    SIGTERM stayed alive as orphans spinning in their shutdown (seen after bench/chat_load.py and the
    browser tests); the server holds nothing that needs a clean exit."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ManagedLlamaServer:
    """Starts, watches and restarts one llama-server child bound to 127.0.0.1."""

    def __init__(self, model: Path, settings: Settings, *, slots: int, extra_bufts: bool) -> None:
        self.model = model
        self.settings = settings
        self.slots = max(1, slots)
        self.extra_bufts = extra_bufts
        self.binary = find_server_binary(settings)
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.restarts = 0
        self._lock = threading.Lock()

    def command(self, port: int) -> list[str]:
        cmd = [str(self.binary), "-m", str(self.model), "--host", "127.0.0.1", "--port", str(port),
               "-t", str(self.settings.n_threads), "-c", str(self.settings.n_ctx * self.slots),
               "-np", str(self.slots), "-s", str(self.settings.seed), "--jinja", "--no-webui",
               "-a", self.model.name]
        if not self.extra_bufts:
            cmd.append("--no-repack")  # llama.cpp's switch for use_extra_bufts = false
        return cmd

    def start(self) -> str:
        port = _free_port()
        env = dict(os.environ)
        # The tools link the shared libraries built beside them (same build as llama-cpp-python's).
        env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [str(self.binary.parent),
                                                               env.get("LD_LIBRARY_PATH")]))
        self.proc = subprocess.Popen(self.command(port), env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        atexit.register(self.stop)
        self.url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = (self.proc.stderr.read() if self.proc.stderr else b"").decode(errors="replace")
                raise LLMError(f"llama-server exited with {self._exit_text()} while loading {self.model.name}: "
                               f"{err.strip()[-400:]}", fix="run `rag models list --verify` and check the model")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    if r.status == 200:
                        # Nothing reads stderr from here on; close it so a chatty server cannot block.
                        if self.proc.stderr:
                            self.proc.stderr.close()
                        log.info("llama-server ready on %s (%d slots, %s)", self.url, self.slots,
                                 "extra buffer types on" if self.extra_bufts else "safe CPU paths")
                        return self.url
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        raise LLMError(f"llama-server did not become ready in {START_TIMEOUT_S:.0f} s",
                       fix="check the machine's load, or use --llm-slots 0")

    def _exit_text(self) -> str:
        rc = self.proc.returncode if self.proc else None
        if rc is not None and rc < 0:
            return f"signal {signal.Signals(-rc).name}"
        return f"exit code {rc}"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ensure_running(self) -> str:
        """Restart a dead server. A server killed by a signal on the fast CPU paths comes back safe."""
        with self._lock:
            if self.alive():
                return self.url
            if self.proc is not None:
                rc = self.proc.returncode
                log.warning("llama-server stopped (%s); restarting", self._exit_text())
                self.restarts += 1
                if rc is not None and rc < 0 and self.extra_bufts:
                    self.extra_bufts = False
            return self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _may_retry(*, sent: bool, attempt: int, server_alive: bool) -> bool:
    """Whether a failed request is sent again, once, to a restarted server. Only when no text was
    streamed yet: a retry would show the user a second, different start of the answer. Only when the
    server died: a live server refused the request itself (a bad request, a full context), and it
    would refuse it again."""
    return not sent and attempt == 1 and not server_alive


class ServerLLM:
    """The ``LLM`` interface over a managed llama-server: restarts it if it died, retries a request
    once when the server failed before sending any text (nothing was shown to the user yet)."""

    def __init__(self, server: ManagedLlamaServer, settings: Settings) -> None:
        self.server = server
        self.settings = settings
        self.name = server.model.name
        self._client: OpenAICompatibleLLM | None = None
        self._client_url = ""

    def _backend(self) -> OpenAICompatibleLLM:
        url = self.server.ensure_running()
        if self._client is None or url != self._client_url:
            self._client = OpenAICompatibleLLM(self.settings.replace(llm_url=url, llm_api_model=self.name))
            self._client_url = url
        return self._client

    def stream_chat(self, messages: Sequence[Message], *, max_tokens: int, stop: Sequence[str] = (),
                    usage: Usage | None = None) -> Iterator[str]:
        for attempt in (1, 2):
            sent = False
            try:
                for piece in self._backend().stream_chat(messages, max_tokens=max_tokens, stop=stop, usage=usage):
                    sent = True
                    yield piece
                return
            except LLMError:
                alive = self.server.alive()
                if _may_retry(sent=sent, attempt=attempt, server_alive=alive):
                    continue  # the next attempt's _backend() restarts the server
                if not alive:
                    raise LLMError("the language model process stopped while answering; it is being "
                                   "restarted", fix="ask again") from None
                raise

    def close(self) -> None:
        self.server.stop()
