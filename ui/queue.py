"""A visible first-come, first-served queue for the model.

Gradio's own queue keeps a waiting request out of the handler entirely, so a waiting user's question
does not even appear in their chat, and the only sign of life is Gradio's English "queue: 5/5" text.
Instead every question enters its handler at once (the question is shown immediately), is retrieved and
ranked beside the others, and waits here only when its answer needs the model (the pipeline's
``ModelTurn`` event), for one of ``slots`` model turns, reading its position and an estimate to show in
the user's language. An answer read from the evidence by rules never waits.
``slots`` is 1 for the in-process model (two generations would halve each other's speed) and the
number of parallel slots when the LLM is a server that batches them.

The work before the model (retrieval, sentence ranking: a second or so each) goes first: while any of
it runs, a model turn does not start and a running one pauses between tokens (``yield_to_prep``). On 2
cores the embedder and llama.cpp running at once slow each other down by more than they gain (in the
8-user run of `bench/chat_load.py` just before this rule, at 8bfa091, eight users at once finished after
142 s against 98 s served one after another; the run of record is bench/results/chat_load.md), and an
answer read by rules should not wait behind a model writing another.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Ticket:
    id: int
    entered: float = field(default_factory=time.monotonic)
    started: float | None = None


class Gate:
    """FIFO of model turns. ``slots`` turns run at once; the rest wait in order of arrival."""

    def __init__(self, slots: int = 1, first_estimate_s: float = 20.0, smoothing: float = 0.3) -> None:
        self.slots = max(1, slots)
        self._cond = threading.Condition()
        self._ids = itertools.count()
        self._waiting: list[Ticket] = []
        self._running: list[Ticket] = []
        self._mean = first_estimate_s  # running mean of one turn's duration, for estimates
        self._smoothing = smoothing
        self._prep = 0  # requests doing their work before the model

    def enter(self) -> Ticket:
        with self._cond:
            ticket = Ticket(next(self._ids))
            self._waiting.append(ticket)
            self._start_ready()
            return ticket

    def _start_ready(self) -> None:
        while self._waiting and len(self._running) < self.slots:
            t = self._waiting.pop(0)
            t.started = time.monotonic()
            self._running.append(t)
        self._cond.notify_all()

    def position(self, ticket: Ticket) -> int:
        """0 when the turn has started; otherwise 1 for the next in line, 2 after that..."""
        with self._cond:
            if ticket in self._running:
                return 0
            return self._waiting.index(ticket) + 1 if ticket in self._waiting else 0

    def estimate_s(self, ticket: Ticket) -> float:
        """Seconds until this ticket's turn starts, from the mean turn length and the running turns'
        progress (at least one second while waiting, so it never reads "0 s" while nothing moves)."""
        with self._cond:
            pos = self._waiting.index(ticket) + 1 if ticket in self._waiting else 0
            if pos == 0:
                return 0.0
            now = time.monotonic()
            left = sorted(max(0.0, self._mean - (now - (t.started or now))) for t in self._running)
            rounds = (pos - 1) // self.slots  # full turns that must finish before ours, beyond the running ones
            first_free = left[(pos - 1) % self.slots] if len(left) >= self.slots else 0.0
            return max(1.0, first_free + rounds * self._mean)

    def wait(self, ticket: Ticket, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for the turn; True once it has started."""
        with self._cond:
            return self._cond.wait_for(lambda: ticket in self._running, timeout=timeout)

    def leave(self, ticket: Ticket) -> None:
        """End a turn (or give up waiting); a finished turn's length updates the estimate."""
        with self._cond:
            if ticket in self._running:
                self._running.remove(ticket)
                if ticket.started is not None:
                    took = time.monotonic() - ticket.started
                    self._mean += self._smoothing * (took - self._mean)
            elif ticket in self._waiting:
                self._waiting.remove(ticket)
            self._start_ready()

    def prep_begin(self) -> None:
        """A request starts its work before the model (retrieval, ranking)."""
        with self._cond:
            self._prep += 1

    def prep_end(self) -> None:
        with self._cond:
            self._prep = max(0, self._prep - 1)
            self._cond.notify_all()

    def yield_to_prep(self, max_wait_s: float = 30.0) -> float:
        """Called by a model turn before it starts and between its tokens: wait while any request is
        doing its work before the model (at most ``max_wait_s``, so a steady stream of arrivals cannot
        starve a running answer). Returns the seconds waited."""
        t0 = time.monotonic()
        with self._cond:
            self._cond.wait_for(lambda: self._prep == 0, timeout=max_wait_s)
        return time.monotonic() - t0

    @contextmanager
    def turn(self) -> Iterator[Ticket]:
        """Wait for a turn without reporting (uploads and removals)."""
        ticket = self.enter()
        try:
            while not self.wait(ticket, 1.0):
                pass
            yield ticket
        finally:
            self.leave(ticket)

    def load(self) -> tuple[int, int]:
        """(running, waiting), for logs and tests."""
        with self._cond:
            return len(self._running), len(self._waiting)
