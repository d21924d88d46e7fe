"""The model gate: first come, first served, ``slots`` at a time, with a place in line and an estimate."""

from __future__ import annotations

import threading

from ui.queue import Gate


def test_turns_start_in_order_of_arrival_with_places_and_estimates() -> None:
    gate = Gate(2, first_estimate_s=10)
    a, b, c, d, e = (gate.enter() for _ in range(5))
    assert [gate.position(x) for x in (a, b, c, d, e)] == [0, 0, 1, 2, 3]
    # Two slots: the first two in line start as the two running turns end; the third after one more turn.
    assert 9 <= gate.estimate_s(c) <= 10 and 9 <= gate.estimate_s(d) <= 10 and 19 <= gate.estimate_s(e) <= 20
    assert gate.estimate_s(a) == 0.0
    gate.leave(b)  # a turn ends: the first in line starts, the next moves up
    assert gate.position(c) == 0 and gate.position(d) == 1
    gate.leave(d)  # giving up while waiting frees the place
    assert gate.position(e) == 1 and gate.load() == (2, 1)


def test_wait_blocks_until_the_turn_starts() -> None:
    gate = Gate(1)
    first = gate.enter()
    second = gate.enter()
    assert not gate.wait(second, 0.05)
    threading.Timer(0.05, gate.leave, args=(first,)).start()
    assert gate.wait(second, 5.0)
    with_turn = []

    def use() -> None:
        with gate.turn():
            with_turn.append(True)

    t = threading.Thread(target=use)
    t.start()
    gate.leave(second)
    t.join(5)
    assert with_turn == [True] and gate.load() == (0, 0)


def test_a_model_turn_yields_to_work_before_the_model() -> None:
    gate = Gate(1)
    assert gate.yield_to_prep(1.0) < 0.05  # nobody is retrieving: no wait
    gate.prep_begin()
    assert 0.1 <= gate.yield_to_prep(0.1) < 0.5  # bounded: a running answer is never starved
    threading.Timer(0.2, gate.prep_end).start()
    waited = gate.yield_to_prep(5.0)
    assert 0.15 <= waited < 2.0  # resumes as soon as the retrieval is done
