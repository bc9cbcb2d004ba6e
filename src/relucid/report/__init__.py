"""One self-contained HTML report over relucid's analyses (``relucid tour`` and ``relucid report``).

* :mod:`.subject` — the network, data and domain a report is about, with their provenance;
* :mod:`.section` — a section under construction (timed steps, tables, inline figures);
* one module per section: :mod:`.network`, :mod:`.regionmap`, :mod:`.explanations`,
  :mod:`.preimage`, :mod:`.pieces`, :mod:`.characterization`, :mod:`.naps`,
  :mod:`.contraction`, :mod:`.verification`, :mod:`.abstraction`;
* :mod:`.build` — which sections fit, running them, the :class:`Report`;
* :mod:`.html` — the page (inline CSS, inline PNGs, a self-check script).

Example
-------
>>> from relucid.report import build_report, tour          # doctest: +SKIP
>>> rep = build_report("example:iris", "iris_data.npz")    # doctest: +SKIP
>>> rep.write("iris-report")                               # doctest: +SKIP
"""

from .build import Job, Report, build_report, report_jobs, run_jobs, tour, tour_jobs
from .section import Section
from .subject import Subject, example_subject, load_subject

__all__ = [
    "Job",
    "Report",
    "Section",
    "Subject",
    "build_report",
    "example_subject",
    "load_subject",
    "report_jobs",
    "run_jobs",
    "tour",
    "tour_jobs",
]
