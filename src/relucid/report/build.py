"""Which sections a report has, running them (with a progress bar), and the finished :class:`Report`.

:func:`tour` runs every analysis on the shipped examples; :func:`build_report`
runs the sections that fit one user's network and data and states, for every
other section, why it was skipped.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm.auto import tqdm

from ..errors import InvalidValueError
from .html import render_page
from .section import Section, esc, skipped
from .subject import Subject, example_subject, load_subject

__all__ = ["INDEX", "Job", "Report", "build_report", "report_exists", "report_jobs", "run_jobs", "tour", "tour_jobs"]

logger = logging.getLogger(__name__)

#: Size limits of a user's report, in piecewise-linear neurons (measured on mnist-net_256x2, 512 neurons:
#: the characterisation did not finish in 120 s, the abstraction's cluster search took 137 s).
#: The backward (paper-order) preimage enumerates phase combinations layer by layer.
LAYERS_MAX_NEURONS = 8
#: find_minimal makes up to one verifier call per layer and per neuron.
CHARACTERIZE_MAX_NEURONS = 64
#: identify_clusters runs k-means at every step of a binary search per layer.
ABSTRACTION_MAX_NEURONS = 128


@dataclass(frozen=True)
class Job:
    """One section to compute (``run``) or to skip (``skip``: the reason shown in the report)."""

    key: str
    title: str
    run: Callable[[], Section] | None = None
    skip: str | None = None


@dataclass(frozen=True)
class Report:
    """A finished report: its sections, the HTML page and the total wall-clock time."""

    title: str
    sections: tuple
    html: str
    seconds: float

    @property
    def failed(self) -> list[Section]:
        return [s for s in self.sections if s.status == "failed"]

    def write(self, out) -> Path:
        """Write ``out/index.html`` (the folder is created) and return its path.

        Only a regular file inside ``out`` is written: an ``index.html`` that
        is a symbolic link (or anything but a regular file) is refused, and the
        page goes to a new file in ``out`` that then replaces ``index.html``,
        so nothing outside ``out`` is ever written, even through a hard link.
        A previous report is replaced (logged at WARNING; :func:`report_exists`
        tells beforehand). An empty ``out`` is refused (it is not "here").
        """
        out = _out_dir(out)
        path = out / INDEX
        if report_exists(out):
            logger.warning("replacing the existing report %s", path)
        tmp = out / f".{INDEX}.{os.getpid()}.{secrets.token_hex(6)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(tmp, flags, 0o666)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self.html)
            os.replace(tmp, path)  # replaces the directory entry; never follows a link there
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return path

    def summary(self) -> str:
        """A few lines for the terminal: one per section."""
        width = max(len(s.title) for s in self.sections)
        lines = [f"{self.title} — {len(self.sections)} sections in {self.seconds:.1f} s"]
        for s in self.sections:
            t = f"{s.seconds:6.2f} s" if s.status != "skipped" else "      —"
            lines.append(f"  {s.title.ljust(width)}  {t}  {s.summary if s.status != 'failed' else 'FAILED: ' + s.reason}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "seconds": self.seconds,
            "sections": [
                {"key": s.key, "title": s.title, "status": s.status, "summary": s.summary, "seconds": s.seconds,
                 "reason": s.reason, "network": s.network, "data": s.data, "params": s.params,
                 "steps": [list(p) for p in s.steps], "figures": s.n_figures}
                for s in self.sections
            ],
        }


#: The report's file name inside the output folder.
INDEX = "index.html"


def report_exists(out) -> bool:
    """Whether ``out/index.html`` exists, so that :meth:`Report.write` would replace it.

    Raises :class:`~relucid.errors.InvalidValueError` when ``out`` is empty or
    not a folder, or when ``index.html`` there is a symbolic link or not a
    regular file (:meth:`Report.write` refuses those).
    """
    out = _check_out(out)
    path = out / INDEX
    try:
        st = path.lstat()
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(st.st_mode):
        raise InvalidValueError(f"report: {str(path)!r} is a symbolic link; relucid writes only regular files inside "
                                f"the output folder (remove the link or choose another --out)")
    if not stat.S_ISREG(st.st_mode):
        raise InvalidValueError(f"report: {str(path)!r} exists and is not a regular file; choose another --out")
    return True


def _check_out(out) -> Path:
    if out is None or not str(out).strip():
        raise InvalidValueError("report: the output folder is empty ''; name a folder, e.g. 'relucid-report'")
    path = Path(out)
    if path.is_symlink() and not path.exists():
        raise InvalidValueError(f"report: the output folder {str(path)!r} is a broken symbolic link")
    if path.exists() and not path.is_dir():
        raise InvalidValueError(f"report: the output folder {str(path)!r} exists and is not a folder")
    return path


def _out_dir(out) -> Path:
    """``out`` checked (:func:`report_exists`) and created."""
    path = _check_out(out)
    report_exists(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_jobs(title: str, intro_html: str, jobs: list[Job], *, progress: bool = False, strict: bool = False) -> Report:
    """Run every job in order; a job that raises becomes a "failed" section (the others still run).

    ``strict``: re-raise instead (for tests and ``--debug``).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    t0 = time.perf_counter()
    sections = []
    bar = tqdm(jobs, desc=title, unit="section", disable=not progress, leave=True)
    for job in bar:
        bar.set_postfix_str(job.title)
        if job.run is None:
            sections.append(skipped(job.key, job.title, job.skip or "not applicable"))
            continue
        s0 = time.perf_counter()
        try:
            sec = job.run()
        except Exception as exc:  # noqa: BLE001 - one section's failure is reported in the page, not fatal
            if strict:
                raise
            logger.info("report section %r failed", job.title, exc_info=True)
            sec = Section(job.key, job.title, "failed", summary=f"failed: {type(exc).__name__}: {exc}",
                          reason=f"{type(exc).__name__}: {exc}")
        sections.append(_with_seconds(sec, time.perf_counter() - s0))
    bar.close()
    total = time.perf_counter() - t0
    page = render_page(title, intro_html, sections, total_seconds=total)
    return Report(title, tuple(sections), page, total)


def _with_seconds(sec: Section, seconds: float) -> Section:
    from dataclasses import replace

    return replace(sec, seconds=seconds)


# -- the tour -----------------------------------------------------------------------------------

TOUR_EXAMPLES = ("moons", "wave", "iris", "xor", "chevron")


def tour_jobs() -> list[Job]:
    """Every analysis, each on the shipped example that shows it best."""
    from .characterization import characterization_section
    from .contraction import contraction_section
    from .explanations import explanation_section
    from .naps import naps_section
    from .network import network_section
    from .pieces import pieces_section
    from .preimage import preimage_layers_section, preimage_section
    from .regionmap import region_map_section
    from .verification import verification_section

    ex = {name: example_subject(name) for name in TOUR_EXAMPLES}
    moons = ex["moons"]
    return [
        Job("network", "The networks", lambda: network_section(list(ex.values()))),
        Job("regions", "Linear regions and the decision boundary", lambda: region_map_section(moons)),
        Job("explain", "Why, and why not", lambda: explanation_section(moons, x=[0.5, 0.25], target=2)),
        Job("preimage", "Preimage of an output set", lambda: preimage_section(moons)),
        Job("preimage-layers", "The preimage, layer by layer", lambda: preimage_layers_section(ex["chevron"])),
        Job("pieces", "A 1-input network, piece by piece", lambda: pieces_section(ex["wave"], level=0.5)),
        Job("characterize", "Input characterisation", lambda: characterization_section(ex["iris"])),
        Job("naps", "Neural activation patterns (NAPs)", lambda: naps_section(moons, verify_labels="all")),
        Job("contraction", "Forward-backward interval contraction",
            lambda: contraction_section(ex["xor"], ([0.8, 0.0], [1.0, 1.0]), ([4.0], [np.inf]),
                                        words="x0 high and confidently 'different': logit ≥ 4, p ≥ 0.98",
                                        more=[(([0.8, 0.8], [1.0, 1.0]), ([0.0], [np.inf]),
                                               "both inputs high, yet 'different'")])),
        Job("verify", "Verification: a proof and a counterexample", lambda: verification_section(moons)),
        _abstraction_job(moons),
    ]


def tour(*, progress: bool = False, strict: bool = False) -> Report:
    """The report over every analysis on the shipped examples."""
    intro = ("Every analysis of relucid, run now on the small networks shipped with it (moons: 2 inputs, 3 classes; "
             "wave: 1-input regression; iris: 4 named features; xor: a sigmoid network; chevron: a 2-2-2-1 network "
             "whose every layer can be drawn). Each section names the network, the data and the parameters that "
             "produced it and how long each step took.")
    return run_jobs("relucid tour", intro, tour_jobs(), progress=progress, strict=strict)


# -- a user's network -----------------------------------------------------------------------------

def build_report(net, data, *, progress: bool = False, strict: bool = False) -> Report:
    """The report for a network file (or ``example:NAME``) and a data archive: the sections that fit them.

    Raises the errors of :func:`~relucid.report.subject.load_subject` for
    files that are missing, unreadable or do not fit together.
    """
    s = load_subject(str(net), data)
    intro = (f"The analyses that fit <code>{esc(s.net_source)}</code> {esc(repr(s.net))} with the data "
             f"<code>{esc(s.data_source)}</code> ({len(s.X)} rows). Sections that do not fit this network's "
             "dimensions or activations say why they were skipped.")
    return run_jobs(f"relucid report: {s.name}", intro, report_jobs(s), progress=progress, strict=strict)


def report_jobs(s: Subject) -> list[Job]:
    """The sections of a user's report, each run or skipped with its reason."""
    from .characterization import characterization_section
    from .contraction import contraction_section
    from .explanations import explanation_section
    from .naps import naps_section
    from .network import network_section
    from .pieces import pieces_section
    from .preimage import preimage_layers_section, preimage_section
    from .regionmap import region_map_section
    from .verification import verification_section

    net, n = s.net, s.net.input_dim
    acts = sorted({layer.activation for layer in net.layers})
    not_pl = None if net.is_piecewise_linear else (
        f"needs relu, leaky_relu and identity layers; this network has {', '.join(acts)} activations")
    not_cls = None if s.is_classifier else "needs a classifier (the data's y holds regression targets)"
    multi = None if net.output_dim > 1 else "needs at least two outputs (one per class); this network has one"

    def job(key, title, run, *reasons):
        why = next((r for r in reasons if r), None)
        return Job(key, title, None if why else run, why)

    jobs = [Job("network", "The network", lambda: network_section([s]))]
    regions_why = not_pl or (f"{n} input: its pieces are shown below instead" if n == 1 else None)
    title = "Linear regions and the decision boundary" + (" (a 2-D slice through three data rows)" if n > 2 else "")
    jobs.append(job("regions", title, lambda: region_map_section(s), regions_why))
    jobs.append(job("explain", "Why, and why not", lambda: explanation_section(s), not_pl, not_cls, multi))
    pre_dim = None if n <= 2 else (f"the exact preimage of a {n}-input network is a union of polytopes that cannot be "
                                   "drawn and may have as many pieces as there are regions; run 'relucid preimage' "
                                   "with a --timeout for it")
    jobs.append(job("preimage", "Preimage of an output set", lambda: preimage_section(s), not_pl, pre_dim))
    layers_why = None if net.n_pattern_neurons <= LAYERS_MAX_NEURONS else (
        f"the paper's backward order splits every layer's phases without knowing which are reachable: attempted "
        f"for at most {LAYERS_MAX_NEURONS} piecewise-linear neurons (this network has {net.n_pattern_neurons})")
    jobs.append(job("preimage-layers", "The preimage, layer by layer", lambda: preimage_layers_section(s),
                    not_pl, layers_why))
    jobs.append(job("pieces", "A 1-input network, piece by piece", lambda: pieces_section(s), not_pl,
                    None if n == 1 else f"for 1-input networks only; this one takes {n} inputs"))
    big = None if net.n_pattern_neurons <= CHARACTERIZE_MAX_NEURONS else (
        f"find_minimal makes up to one verifier call per layer and neuron: run for at most {CHARACTERIZE_MAX_NEURONS} "
        f"piecewise-linear neurons (this network has {net.n_pattern_neurons}); use 'relucid characterize' with --timeout")
    jobs.append(job("characterize", "Input characterisation", lambda: characterization_section(s), not_pl, not_cls,
                    big))
    no_hidden = None if any(layer.has_phases for layer in net.layers[:-1]) else "needs hidden ReLU layers"
    jobs.append(job("naps", "Neural activation patterns (NAPs)", lambda: naps_section(s), not_pl, not_cls, multi,
                    no_hidden))
    monotone = None if all(layer.activation != "leaky_relu" or layer.alpha >= 0 for layer in net.layers) else \
        "needs monotone activations (a leaky_relu has a negative slope)"
    jobs.append(job("contraction", "Forward-backward interval contraction", lambda: contraction_section(s), monotone))
    jobs.append(job("verify", "Verification: a proof and a counterexample", lambda: verification_section(s),
                    not_pl, not_cls))
    big = None if net.n_pattern_neurons <= ABSTRACTION_MAX_NEURONS else (
        f"the cluster search runs k-means at every step of a binary search per layer: run for at most "
        f"{ABSTRACTION_MAX_NEURONS} piecewise-linear neurons (this network has {net.n_pattern_neurons})")
    jobs.append(_abstraction_job(s, not_pl, not_cls, multi, no_hidden, big))
    return jobs


def _abstraction_job(s: Subject, *reasons) -> Job:
    from .abstraction import abstraction_section, abstraction_unavailable

    title = "Abstraction: a smaller network"
    last = None if s.net.layers[-1].activation == "identity" else "needs an identity (affine) last layer"
    relu = None if all(l.activation == "relu" for l in s.net.layers[:-1]) else "needs relu hidden layers"
    why = next((r for r in (*reasons, last, relu) if r), None) or abstraction_unavailable()
    return Job("abstraction", title, None if why else (lambda: abstraction_section(s)), why)
