"""The forked MILP path (geometry/forked.py) gives the in-process answer and is killed at its deadline."""

from __future__ import annotations

import time

import numpy as np
import pytest

from relucid.geometry import lp
from relucid.geometry.forked import KILLED, run_forked
from relucid.geometry.lp import LPStatus, solve_milp

pytestmark = pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")


def _knapsack():
    # max 5a + 4b + 3c  s.t.  2a + 3b + c <= 5, 4a + b + 2c <= 11, 3a + 4b + 2c <= 8, binaries: optimum 9 at (1, 1, 0)
    c = np.array([5.0, 4.0, 3.0])
    A = np.array([[2.0, 3, 1], [4, 1, 2], [3, 4, 2]])
    return c, A, np.full(3, -np.inf), np.array([5.0, 11, 8]), np.zeros(3), np.ones(3), np.ones(3, dtype=bool)


def test_forked_and_in_process_agree(monkeypatch):
    args = _knapsack()
    here = solve_milp(*args, maximize=True, time_limit=10)
    monkeypatch.setattr(lp, "FORK_MIN_NNZ", 0)
    forked = solve_milp(*args, maximize=True, time_limit=10)
    assert here.status is forked.status is LPStatus.OPTIMAL
    assert here.value == forked.value == 9.0
    assert np.array_equal(here.x, forked.x) and np.array_equal(forked.x, [1.0, 1.0, 0.0])


def _sleepy(seconds):
    time.sleep(seconds)
    return {"done": True}, np.arange(3.0)


def test_run_forked_returns_the_payload_and_kills_at_the_deadline():
    head, x = run_forked(_sleepy, (0.0,), 10.0)
    assert head == {"done": True} and x.tolist() == [0.0, 1.0, 2.0]
    t0 = time.monotonic()
    assert run_forked(_sleepy, (30.0,), 0.3) == KILLED
    assert time.monotonic() - t0 < 5.0


def _fails():
    raise RuntimeError("boom")


def test_a_failing_child_is_reported_not_raised():
    assert run_forked(_fails, (), 10.0) is None
