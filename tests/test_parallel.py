"""run_all: serial and pooled runs agree, keep the input order, name failing items, honour timeouts."""

import functools
import time

import numpy as np
import pytest

from relucid.errors import InvalidValueError
from relucid.parallel import (
    NOT_DONE,
    Executor,
    ParallelTimeoutError,
    ProcessExecutor,
    SerialExecutor,
    effective_n_jobs,
    get_executor,
    run_all,
)


def square_after_sleep(x):
    time.sleep(0.02 * (x % 3))  # finish out of order in a pool
    return x * x


def fail_on_three(x):
    if x == 3:
        raise ValueError(f"no threes ({x})")
    return x


def slow(x):
    time.sleep(x)
    return x


def lp_value(seed):
    from relucid.geometry import solve_lp

    rng = np.random.default_rng(seed)
    A = rng.normal(size=(8, 3))
    return solve_lp(rng.normal(size=3), A, np.ones(8), lb=-5.0, ub=5.0).value


def test_serial_and_pool_give_identical_results_in_order():
    items = list(range(12))
    serial = run_all(square_after_sleep, items)
    pooled = run_all(square_after_sleep, items, n_jobs=2)
    assert serial == pooled == [x * x for x in items]


def test_pool_runs_solver_calls_and_closures():
    offset = 3.0  # a closure: fine with the fork pool, which sends only indices
    fn = lambda s: lp_value(s) + offset  # noqa: E731
    assert run_all(fn, range(6), n_jobs=2) == run_all(fn, range(6))


def test_spawn_pool_with_picklable_function():
    ex = ProcessExecutor(2, start_method="spawn")
    assert run_all(functools.partial(pow, 2), range(5), executor=ex) == [1, 2, 4, 8, 16]


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_exception_propagates_with_its_type_and_the_item_named(n_jobs):
    with pytest.raises(ValueError, match="no threes") as info:
        run_all(fail_on_three, [1, 2, 3, 4], n_jobs=n_jobs)
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert "item 2" in notes and "fail_on_three" in notes


def test_timeout_serial_raises_with_partial_results():
    t = time.monotonic()
    with pytest.raises(ParallelTimeoutError) as info:
        run_all(slow, [0.0, 0.3, 0.3, 0.3, 0.3], timeout=0.2)
    assert time.monotonic() - t < 1.0
    res = info.value.results
    assert res[0] == 0.0 and res[-1] is NOT_DONE and info.value.n_done < 5


def test_timeout_pool_terminates_workers_and_returns_partial():
    t = time.monotonic()
    res = run_all(slow, [0.0, 0.0, 30.0, 30.0, 0.0], n_jobs=2, timeout=1.0, on_timeout="partial")
    assert time.monotonic() - t < 10.0, "the running 30 s items must be stopped"
    assert res[0] == 0.0 and res[1] == 0.0
    assert res[2] is NOT_DONE and res[3] is NOT_DONE


def test_no_timeout_when_everything_finishes():
    assert run_all(slow, [0.0, 0.01], timeout=5.0) == [0.0, 0.01]


def test_custom_executor_is_used():
    class Reversed:
        calls = 0

        def imap_unordered(self, fn, items, *, deadline=None):
            Reversed.calls += 1
            for i in reversed(range(len(items))):
                yield i, True, fn(items[i])

    ex = Reversed()
    assert isinstance(ex, Executor)
    assert run_all(str, [1, 2, 3], executor=ex) == ["1", "2", "3"]
    assert Reversed.calls == 1


def test_n_jobs_conventions():
    assert effective_n_jobs(None) == 1 and effective_n_jobs(1) == 1 and effective_n_jobs(3) == 3
    assert effective_n_jobs(-1) >= 1
    assert isinstance(get_executor(None), SerialExecutor)
    assert isinstance(get_executor(2), ProcessExecutor)
    for bad in (0, 1.5, "2"):
        with pytest.raises(InvalidValueError, match="n_jobs"):
            effective_n_jobs(bad)
    with pytest.raises(InvalidValueError, match="on_timeout"):
        run_all(abs, [1], on_timeout="ignore")
    with pytest.raises(InvalidValueError, match="executor"):
        run_all(abs, [1], executor=object())


def test_empty_input_and_marker():
    assert run_all(abs, []) == [] and run_all(abs, [], n_jobs=2) == []
    assert repr(NOT_DONE) == "NOT_DONE" and not NOT_DONE


def test_progress_bar_does_not_change_results(capsys):
    assert run_all(abs, [-1, -2], progress=True, desc="abs") == [1, 2]
    assert "abs" in capsys.readouterr().err
