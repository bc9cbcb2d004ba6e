"""One section of a report: its HTML, what produced it, and how long each computation took.

A section function builds a :class:`Draft` — timed steps (``with d.step("why-not"):``),
text, tables and figures — and returns ``d.done(summary)``, a frozen
:class:`Section`. Every figure is a matplotlib figure drawn in that run and
inlined as a base64 PNG (:func:`figure_html`), so the page needs no other file
and no network access.
"""

from __future__ import annotations

import base64
import html
import io
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Draft", "Section", "esc", "figure_html", "fmt", "skipped", "table_html"]

#: Resolution of the inlined PNG figures.
FIGURE_DPI = 96


@dataclass(frozen=True)
class Section:
    """A finished report section.

    Attributes
    ----------
    key : str
        HTML anchor (``id``) of the section.
    title : str
    status : {"done", "skipped", "failed"}
    body : str
        HTML of the section's content (empty when skipped).
    summary : str
        One line for the terminal.
    network, data : str
        What produced it (file, digest, shape); empty for a skipped section.
    params : dict
        The parameters of the computation, as shown in the report.
    steps : tuple of (str, float)
        Each timed computation and its wall-clock seconds.
    seconds : float
        The whole section, computations and drawing (set by the runner).
    reason : str or None
        Why the section was skipped, or the error that stopped it.
    n_figures : int
    """

    key: str
    title: str
    status: str
    body: str = ""
    summary: str = ""
    network: str = ""
    data: str = ""
    params: dict = field(default_factory=dict)
    steps: tuple = ()
    seconds: float = 0.0
    reason: str | None = None
    n_figures: int = 0


def skipped(key: str, title: str, reason: str) -> Section:
    """A section that was not run, with the reason the report shows."""
    return Section(key, title, "skipped", summary=f"skipped: {reason}", reason=reason)


class Draft:
    """A section under construction (see the module docstring)."""

    def __init__(self, key: str, title: str, *, network: str = "", data: str = "", params: dict | None = None):
        self.key, self.title = key, title
        self.network, self.data = network, data
        self.params = dict(params or {})
        self.steps: list[tuple[str, float]] = []
        self._parts: list[str] = []
        self._figures = 0

    @contextmanager
    def step(self, label: str):
        """Time the computation inside the ``with`` block as one step named ``label``."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.steps.append((label, time.perf_counter() - t0))

    def seconds(self, label: str) -> float:
        """Seconds of the step named ``label`` (the last one of that name)."""
        return next(s for name, s in reversed(self.steps) if name == label)

    def p(self, text_html: str) -> None:
        """A paragraph (the caller escapes what needs escaping)."""
        self._parts.append(f"<p>{text_html}</p>")

    def pre(self, text: str) -> None:
        """Preformatted text (escaped here)."""
        self._parts.append(f"<pre>{esc(text)}</pre>")

    def raw(self, fragment: str) -> None:
        self._parts.append(fragment)

    def table(self, header, rows, *, caption: str | None = None) -> None:
        self._parts.append(table_html(header, rows, caption=caption))

    def figure(self, fig, caption: str, *, alt: str | None = None, tight: bool = True) -> None:
        """Inline a matplotlib figure (closed afterwards) with its caption (``tight``: crop to the drawn area)."""
        self._parts.append(figure_html(fig, caption, alt=alt or caption, tight=tight))
        self._figures += 1

    def done(self, summary: str) -> Section:
        return Section(self.key, self.title, "done", body="\n".join(self._parts), summary=summary,
                       network=self.network, data=self.data, params=dict(self.params), steps=tuple(self.steps),
                       n_figures=self._figures)


def esc(text) -> str:
    return html.escape(str(text), quote=True)


def fmt(v, digits: int = 4) -> str:
    """A number for a table: ``digits`` significant digits, ints as ints, arrays element-wise."""
    if isinstance(v, (list, tuple, np.ndarray)):
        return "(" + ", ".join(fmt(u, digits) for u in np.ravel(v)) + ")"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if v is None:
        return "—"
    v = float(v)
    if not np.isfinite(v):
        return "∞" if v > 0 else ("−∞" if v < 0 else "NaN")
    return f"{v:.{digits}g}"


def table_html(header, rows, *, caption: str | None = None) -> str:
    """An HTML table; cells are escaped unless given as ``("html", fragment)``."""

    def cell(c, tag):
        if isinstance(c, tuple) and len(c) == 2 and c[0] == "html":
            return f"<{tag}>{c[1]}</{tag}>"
        return f"<{tag}>{esc(c)}</{tag}>"

    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    head = "<tr>" + "".join(cell(h, "th") for h in header) + "</tr>"
    body = "\n".join("<tr>" + "".join(cell(c, "td") for c in r) + "</tr>" for r in rows)
    return f'<table>{cap}<thead>{head}</thead><tbody>\n{body}\n</tbody></table>'


def figure_html(fig, caption: str, *, alt: str, tight: bool = True) -> str:
    """``<figure>`` with the figure as an inline base64 PNG; the figure is closed.

    ``tight`` crops to the drawn area, which costs one more drawing pass
    (slow for figures with many axes).
    """
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=FIGURE_DPI, bbox_inches="tight" if tight else None)
    finally:
        plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")
