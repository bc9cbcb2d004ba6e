"""Run a solver call in a forked child that is killed at its deadline.

HiGHS' MIP presolve ignores ``time_limit`` (seen: 5.3 s of presolve on a
267k-nonzero model under a 1.5 s limit); a child process is the one way to
stop it on time. The child sends back a JSON header and one raw float64
array through a pipe — no pickle, so nothing the child writes can run code
in the parent.
"""

from __future__ import annotations

import json
import os
import select
import signal
import time
from typing import Callable

import numpy as np

__all__ = ["FAILED", "ForkedRun", "KILLED", "run_forked"]

#: What :func:`run_forked` returns when the child was killed at the deadline.
KILLED = "killed"
#: What :meth:`ForkedRun.poll` returns when the child failed (an exception, no answer).
FAILED = "failed"


def run_forked(func: Callable, args: tuple, seconds: float):
    """``func(*args)`` in a forked child: its ``(header, array)``, :data:`KILLED`, or None if the child failed.

    ``func`` returns a JSON-serialisable dict and a float64 array (or None).
    The child is killed with SIGKILL after ``seconds``.
    """
    got = ForkedRun(func, args, seconds).wait()
    return None if got is FAILED else got


class ForkedRun:
    """``func(*args)`` started in a forked child that runs beside the caller (a portfolio member).

    :meth:`poll` never blocks: None while the child runs, else its
    ``(header, array)``, :data:`KILLED` (past ``seconds``) or :data:`FAILED`.
    :meth:`cancel` kills the child (call it when the caller decided first).
    The same pipe protocol as :func:`run_forked`: JSON and raw float64, no pickle.
    """

    def __init__(self, func: Callable, args: tuple, seconds: float) -> None:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            code = 0
            try:
                os.close(r)
                head, x = func(*args)
                body = b"" if x is None else np.ascontiguousarray(x, dtype=np.float64).tobytes()
                head = json.dumps({**head, "_n": 0 if x is None else int(np.size(x))}).encode()
                with os.fdopen(w, "wb") as f:
                    f.write(len(head).to_bytes(8, "little") + head + body)
            except BaseException:  # noqa: BLE001 - the forked child must reach os._exit; the parent reports a failure
                code = 1
            finally:
                os._exit(code)
        os.close(w)
        self._pid, self._fd = pid, r
        self._deadline = time.monotonic() + seconds
        self._chunks: list = []
        self._result = None

    def poll(self, block: bool = False):
        """The child's answer, or None while it runs; ``block``: wait for it (at most until the deadline)."""
        if self._result is not None:
            return self._result
        while True:
            left = self._deadline - time.monotonic()
            if left <= 0:
                self.cancel()
                return self._result
            ready, _, _ = select.select([self._fd], [], [], left if block else 0)
            if not ready:
                if block:
                    continue  # the deadline passed: the loop kills the child
                return None
            data = os.read(self._fd, 1 << 20)
            if not data:
                break
            self._chunks.append(data)
        os.close(self._fd)
        os.waitpid(self._pid, 0)
        self._pid = None
        self._result = _decode(b"".join(self._chunks))
        return self._result

    def wait(self):
        """Block until the child answers or is killed at its deadline: as :meth:`poll`."""
        return self.poll(block=True)

    def cancel(self) -> None:
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self._pid, 0)
            os.close(self._fd)
            self._pid = None
            if self._result is None:
                self._result = KILLED


def _decode(blob: bytes):
    if len(blob) < 8:
        return FAILED
    size = int.from_bytes(blob[:8], "little")
    head = json.loads(blob[8 : 8 + size])
    x = np.frombuffer(blob[8 + size :], dtype=np.float64).copy() if head.pop("_n") else None
    return head, x
