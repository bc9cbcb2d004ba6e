"""The machine description every benchmark writes at the top of its results file."""

from __future__ import annotations

import os
import platform
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
