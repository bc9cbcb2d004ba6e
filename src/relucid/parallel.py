"""One executor interface for bags of independent queries.

Analyses that solve many independent problems (one LP per region of a
frontier, one verifier call per test image) hand them to :func:`run_all`,
which returns the results in input order. Where they run is the business of
an :class:`Executor`:

* :class:`SerialExecutor` — in this process, one after another (the default:
  ``n_jobs=None`` or ``1``);
* :class:`ProcessExecutor` — a local ``concurrent.futures`` process pool
  (``n_jobs > 1``, or ``-1`` for every core). On Linux it uses the ``fork``
  start method: workers inherit ``fn`` and ``items`` from the parent, so only
  an index travels to a worker and closures work. Elsewhere (``spawn``)
  ``fn`` and the items must be picklable.

A cluster backend (Ray, Dask) is one more class with the same single method,
``imap_unordered``, passed as ``run_all(..., executor=...)``; no analysis
changes.

Timeouts
--------
``timeout`` bounds the wall-clock time of the whole call. At the deadline no
more items are started, pending ones are cancelled and a process pool's
workers are terminated (a running item cannot be interrupted in the serial
executor; it finishes first). Then :func:`run_all` either raises
:class:`ParallelTimeoutError` (``on_timeout="raise"``, the default), which
carries the partial results, or returns them (``on_timeout="partial"``); in
both cases every unfinished position holds the marker :data:`NOT_DONE`.

Errors
------
The first exception raised by ``fn`` stops the call (the rest are cancelled)
and is re-raised with its own type, with a note naming the item: its index
and a short ``repr`` (``exc.__notes__``, shown in the traceback). With a pool
"first" means first to finish, so two failing items may be reported
differently by the two executors.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Callable, Iterator, Protocol, Sequence, runtime_checkable

from tqdm.auto import tqdm

from .deadline import Deadline
from .errors import InvalidValueError

__all__ = [
    "NOT_DONE",
    "Executor",
    "ParallelTimeoutError",
    "ProcessExecutor",
    "SerialExecutor",
    "effective_n_jobs",
    "get_executor",
    "run_all",
]


class _NotDone:
    """The marker of an item that did not finish before the deadline."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_DONE"

    def __reduce__(self):
        return (_NotDone, ())

    def __bool__(self) -> bool:
        return False


#: Placed in the result list at the position of every item that did not finish.
NOT_DONE = _NotDone()


class ParallelTimeoutError(TimeoutError):
    """:func:`run_all` reached its timeout.

    Attributes
    ----------
    results : list
        One entry per item, in input order; :data:`NOT_DONE` where the item
        did not finish.
    n_done : int
        How many items finished.
    """

    def __init__(self, message: str, results: list, n_done: int) -> None:
        super().__init__(message)
        self.results = results
        self.n_done = n_done


@runtime_checkable
class Executor(Protocol):
    """Where independent tasks run.

    One method: ``imap_unordered(fn, items, deadline=...)`` yields
    ``(index, ok, value)`` triples as tasks finish, ``value`` being
    ``fn(items[index])`` when ``ok`` and the exception it raised otherwise.
    It stops yielding (without raising) once ``time.monotonic()`` passes
    ``deadline``, and it must release its workers when the caller closes the
    generator early (``GeneratorExit``): a ``try/finally`` around the loop does.
    """

    def imap_unordered(
        self, fn: Callable[[Any], Any], items: Sequence, *, deadline: Deadline | float | None = None
    ) -> Iterator[tuple[int, bool, Any]]: ...


class SerialExecutor:
    """Runs every task in this process, in input order."""

    def imap_unordered(self, fn, items, *, deadline=None):
        deadline = Deadline.coerce(deadline)
        for i, item in enumerate(items):
            if deadline.expired():
                return
            try:
                value = fn(item)
            except Exception as exc:  # noqa: BLE001 - handed to the caller, which re-raises it
                yield i, False, exc
            else:
                yield i, True, value

    def __repr__(self) -> str:
        return "SerialExecutor()"


# Tasks of fork-started pools: the workers inherit (fn, items) through this table,
# so only (token, index) is pickled per task.
_INHERITED: dict[int, tuple[Callable, Sequence]] = {}
_TOKENS = itertools.count()
_LOCK = threading.Lock()
_IN_WORKER = False


def _worker_init() -> None:
    global _IN_WORKER
    _IN_WORKER = True


def _call_inherited(token: int, index: int):
    fn, items = _INHERITED[token]
    return fn(items[index])


def _call(fn, item):
    return fn(item)


class ProcessExecutor:
    """A local process pool (``concurrent.futures.ProcessPoolExecutor``).

    Parameters
    ----------
    n_jobs : int
        Number of worker processes (>= 1).
    start_method : {"fork", "spawn", "forkserver"}, optional
        Default: ``"fork"`` on Linux, else ``"spawn"``.
    max_in_flight : int, optional
        Items submitted ahead of the workers (default ``4 * n_jobs``): the
        rest wait in the parent, so a deadline stops them from starting.

    Notes
    -----
    ``fn``'s return values travel back by pickle. Workers run single
    tasks of relucid code, which keeps HiGHS at one thread per worker. A
    :func:`run_all` called inside a worker runs serially (no nested pools).
    """

    def __init__(self, n_jobs: int, *, start_method: str | None = None, max_in_flight: int | None = None) -> None:
        if int(n_jobs) < 1:
            raise InvalidValueError(f"ProcessExecutor: n_jobs must be >= 1; got {n_jobs}")
        self.n_jobs = int(n_jobs)
        if start_method is None:
            start_method = "fork" if sys.platform.startswith("linux") else "spawn"
        if start_method not in multiprocessing.get_all_start_methods():
            raise InvalidValueError(
                f"ProcessExecutor: start method {start_method!r} is not available here; "
                f"choose one of {multiprocessing.get_all_start_methods()}"
            )
        self.start_method = start_method
        self.max_in_flight = int(max_in_flight) if max_in_flight else 4 * self.n_jobs

    def __repr__(self) -> str:
        return f"ProcessExecutor(n_jobs={self.n_jobs}, start_method={self.start_method!r})"

    def imap_unordered(self, fn, items, *, deadline=None):
        deadline = Deadline.coerce(deadline)
        fork = self.start_method == "fork"
        token = None
        if fork:
            with _LOCK:
                token = next(_TOKENS)
                _INHERITED[token] = (fn, items)
        pool = ProcessPoolExecutor(
            max_workers=min(self.n_jobs, max(len(items), 1)),
            mp_context=multiprocessing.get_context(self.start_method),
            initializer=_worker_init,
        )
        pending: dict = {}
        todo = iter(range(len(items)))
        clean = False
        try:
            while True:
                while len(pending) < self.max_in_flight:
                    i = next(todo, None)
                    if i is None:
                        break
                    fut = pool.submit(_call_inherited, token, i) if fork else pool.submit(_call, fn, items[i])
                    pending[fut] = i
                if not pending:
                    clean = True
                    return
                left = deadline.seconds()
                if left is not None and left <= 0:
                    return
                done, _ = wait(pending, timeout=left, return_when=FIRST_COMPLETED)
                for fut in done:
                    i = pending.pop(fut)
                    exc = fut.exception()
                    if exc is None:
                        yield i, True, fut.result()
                    else:
                        yield i, False, exc
        finally:
            if clean:
                pool.shutdown(wait=True)
            else:
                _terminate(pool)
            if token is not None:
                with _LOCK:
                    _INHERITED.pop(token, None)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and stop the workers now (a deadline or an error)."""
    stop = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if stop is not None:
        stop()
        return
    processes = dict(getattr(pool, "_processes", None) or {})
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes.values():
        if proc.is_alive():
            proc.terminate()
    for proc in processes.values():
        proc.join(timeout=5)


def effective_n_jobs(n_jobs: int | None) -> int:
    """The number of workers ``n_jobs`` asks for.

    ``None`` or ``1`` → 1 (serial); ``k > 1`` → ``k``; ``-1`` → every core
    this process may use, ``-2`` all but one, and so on (joblib's convention).
    """
    if n_jobs is None:
        return 1
    try:
        k = int(n_jobs)
    except (TypeError, ValueError):
        raise InvalidValueError(f"n_jobs must be an int or None; got {n_jobs!r}") from None
    if k != n_jobs or k == 0:
        raise InvalidValueError(f"n_jobs must be a non-zero int (-1: all cores) or None; got {n_jobs!r}")
    if k > 0:
        return k
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(cores + 1 + k, 1)


def get_executor(n_jobs: int | None = None) -> Executor:
    """:class:`SerialExecutor` for one job (or inside a pool worker), else a :class:`ProcessExecutor`."""
    k = effective_n_jobs(n_jobs)
    if k == 1 or _IN_WORKER:
        return SerialExecutor()
    return ProcessExecutor(k)


def run_all(
    fn: Callable[[Any], Any],
    items,
    *,
    n_jobs: int | None = None,
    executor: Executor | None = None,
    progress: bool = False,
    desc: str | None = None,
    timeout: float | None = None,
    on_timeout: str = "raise",
) -> list:
    """``[fn(item) for item in items]``, possibly in parallel, in input order.

    Parameters
    ----------
    fn : callable
        One argument; with a ``spawn`` pool it must be picklable (a
        module-level function or a ``functools.partial`` of one).
    items : iterable
        Materialised into a list first.
    n_jobs : int, optional
        None or 1: serial, in this process. ``k > 1``: a pool of ``k``
        processes; ``-1``: one per core (see :func:`effective_n_jobs`).
        Ignored when ``executor`` is given.
    executor : Executor, optional
        Any object with ``imap_unordered`` (see :class:`Executor`).
    progress : bool
        Show a tqdm progress bar (``desc`` its label).
    timeout : float, optional
        Seconds for the whole call (see the module notes).
    on_timeout : {"raise", "partial"}
        At the deadline raise :class:`ParallelTimeoutError` (with the partial
        results) or return the partial results; unfinished items are
        :data:`NOT_DONE` either way.

    Returns
    -------
    list
        ``fn(items[i])`` at position ``i``.

    Raises
    ------
    Exception
        The first exception ``fn`` raised, with a note naming the item.
    ParallelTimeoutError
        At the deadline with ``on_timeout="raise"``.

    Examples
    --------
    >>> run_all(abs, [-1, 2, -3])
    [1, 2, 3]
    """
    if on_timeout not in ("raise", "partial"):
        raise InvalidValueError(f"run_all: on_timeout must be 'raise' or 'partial'; got {on_timeout!r}")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0):
        raise InvalidValueError(f"run_all: timeout must be a non-negative number of seconds or None; got {timeout!r}")
    items = list(items)
    if executor is None:
        executor = get_executor(n_jobs)
    elif not isinstance(executor, Executor):
        raise InvalidValueError(
            f"run_all: executor must have an imap_unordered(fn, items, deadline=...) method; got {type(executor).__name__}"
        )
    deadline = Deadline.after(timeout)  # 0 is allowed here: only what is already done
    results: list = [NOT_DONE] * len(items)
    n_done = 0
    bar = tqdm(total=len(items), desc=desc, disable=not progress)
    stream = executor.imap_unordered(fn, items, deadline=deadline)
    try:
        for i, ok, value in stream:
            if not ok:
                _name_item(value, fn, i, items[i])
                raise value
            results[i] = value
            n_done += 1
            bar.update(1)
    finally:
        stream.close()
        bar.close()
    if n_done < len(items):
        if deadline.limited and on_timeout == "partial":
            return results
        what = f"run_all: timeout of {timeout:g} s reached after {n_done} of {len(items)} items"
        if not deadline.limited:  # an executor that stopped early without a deadline
            what = f"run_all: the executor stopped after {n_done} of {len(items)} items"
        raise ParallelTimeoutError(what, results, n_done)
    return results


def _name_item(exc: BaseException, fn, index: int, item) -> None:
    text = repr(item)
    if len(text) > 120:
        text = text[:117] + "..."
    name = getattr(fn, "__qualname__", None) or getattr(getattr(fn, "func", None), "__qualname__", None) or repr(fn)
    note = f"raised by {name} on item {index}: {text}"
    if hasattr(exc, "add_note"):
        exc.add_note(note)
