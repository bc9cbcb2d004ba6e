"""The same verification instances on numpy, torch on the CPU and torch on a GPU (when one is present).

:func:`relucid.verify` with ``device=None`` (numpy, the default), ``device="cpu"``
(torch, float64) and ``device="cuda"`` (torch, float64; skipped with a line in
the results when torch finds no GPU), each instance in that order on one
machine, one call at a time, the same timeout. The instances are VNN-COMP 2021
mnistfc instances that reach the branch and bound over ReLU phases (the bounds
stage leaves them open) and ACAS Xu instances that reach input splitting —
the two searches whose bound passes the device runs.

Writes ``benchmarks/results/verify_gpu.md`` (+ ``.json``): per instance and
device, the verdict, seconds and subproblems/boxes bounded; verdicts must agree
across devices (exit status 1 otherwise). Run ``python benchmarks/verify_gpu.py``
on the GPU machine (``--timeout``, default 120 s per call).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
import time
from pathlib import Path

import _machine

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "benchmarks" / "results" / "verify_gpu.md"
INSTANCES = [
    ("mnistfc", "mnist-net_256x4.onnx", "prop_13_0.03.vnnlib"),
    ("mnistfc", "mnist-net_256x4.onnx", "prop_0_0.03.vnnlib"),
    ("mnistfc", "mnist-net_256x6.onnx", "prop_4_0.03.vnnlib"),
    ("mnistfc", "mnist-net_256x2.onnx", "prop_13_0.03.vnnlib"),
    ("acasxu", "ACASXU_run2a_1_4_batch_2000.onnx", "prop_1.vnnlib"),
    ("acasxu", "ACASXU_run2a_1_9_batch_2000.onnx", "prop_2.vnnlib"),
]


def devices() -> list:
    out = [None]
    try:
        import torch
    except ImportError:
        return out
    out.append("cpu")
    if torch.cuda.is_available():
        out.append("cuda")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args(argv)
    import relucid as rl

    devs = devices()
    started = _dt.datetime.now(_dt.timezone.utc)
    header = _machine.machine("", ["numpy", "torch", "relucid"])
    rows = []
    for cat, onnx, vnnlib in INSTANCES:
        net = rl.load(args.data / cat / onnx)
        X, prop = rl.load_vnnlib(args.data / cat / vnnlib, input_dim=net.input_dim, output_dim=net.output_dim)
        for dev in devs:
            t = time.perf_counter()
            r = rl.verify(net, X, prop, timeout=args.timeout, device=dev)
            secs = time.perf_counter() - t
            rows.append(dict(instance=f"{cat} {onnx} {vnnlib}", device=dev or "numpy", status=r.status, seconds=secs,
                             method=r.method, work=r.stats.get("bab_subproblems", r.stats.get("boxes", 0))))
            print(rows[-1], flush=True)
    gpu_note = ("" if "cuda" in devs else
                "**No GPU on this machine (torch finds no CUDA device): the cuda column was not run.**")
    L = ["# The same instances on numpy, torch CPU and torch GPU (`benchmarks/verify_gpu.py`)", "",
         f"Date: {started:%Y-%m-%d %H:%M UTC}; git {_machine.git_rev()}", "", f"Command: `{_machine.command_line()}`",
         "", "Machine:", *header, "", gpu_note, "",
         "| instance | device | verdict | seconds | method | subproblems / boxes |", "|---|---|---|---|---|---|"]
    bad = 0
    by_inst: dict = {}
    for r in rows:
        by_inst.setdefault(r["instance"], set()).add(r["status"])
        L.append(f"| {r['instance']} | {r['device']} | {r['status']} | {r['seconds']:.2f} | {r['method']} | {r['work']} |")
    for inst, st in by_inst.items():
        if {"proved", "falsified"} <= st:
            bad += 1
            L.append(f"\n**Devices disagree on {inst}: {sorted(st)}**")
    OUT.write_text("\n".join(L) + "\n")
    OUT.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    print(f"wrote {OUT}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
