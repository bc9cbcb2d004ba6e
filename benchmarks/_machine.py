"""The machine description every benchmark writes at the top of its results file."""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path
from importlib.metadata import PackageNotFoundError, version


def package_version(pkg: str) -> str:
    try:
        return version(pkg)
    except PackageNotFoundError:
        return "not installed"


def load() -> str:
    """The 1/5/15-minute load averages, as text."""
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def machine(cores_note: str, packages: list[str]) -> list[str]:
    """Markdown bullet lines: CPU and cores (with ``cores_note``), versions of ``packages``, platform, load."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = ", ".join(f"{p} {package_version(p)}" for p in packages)
    return [
        f"- CPU: {cpu}; {os.cpu_count()} logical cores visible{cores_note}",
        f"- Python {platform.python_version()}, {versions}",
        f"- Platform: {platform.platform()}",
        f"- Load average when the run started (other work on the machine shares the cores): {load()}",
    ]


#: The repository root (benchmarks/ is one level below it).
ROOT = Path(__file__).resolve().parents[1]


def command_line() -> str:
    """The command that runs this benchmark, relative to the repository root."""
    return "python " + " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])


def git_rev() -> str:
    """The short commit hash, marked when tracked files have uncommitted changes; "unknown" outside git."""
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return (rev or "unknown") + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def best_time(fn, repeats: int):
    """(best wall seconds, last result) over ``repeats`` calls of ``fn``."""
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out
