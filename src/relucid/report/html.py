"""The report page: one self-contained HTML file (inline CSS, inline PNG figures, one small inline script).

The script only checks the page itself once it has loaded — every image
decoded (``naturalWidth > 0``), no script error — and writes the result as
JSON into ``<output id="relucid-check">`` (shown in the footer). The browser
test reads it back from Chromium's ``--dump-dom``.
"""

from __future__ import annotations

import platform
import time

from .section import Section, esc, fmt, table_html

__all__ = ["CHECK_ID", "render_page"]

CHECK_ID = "relucid-check"

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 72em; margin: 0 auto;
       padding: 0 1.2em 3em; color: #1d2430; line-height: 1.45; }
header { border-bottom: 3px solid #3b6ea5; margin-bottom: 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccd; padding-bottom: 0.15em; margin-top: 2em; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.86em; }
pre { background: #f4f6f9; padding: 0.7em; overflow-x: auto; border-radius: 4px; white-space: pre-wrap; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #d5d9e0; padding: 0.25em 0.55em; text-align: left; vertical-align: top; }
th { background: #eef2f7; } caption { caption-side: bottom; font-size: 0.85em; color: #555; text-align: left; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #e3e6ea; }
figcaption { font-size: 0.88em; color: #444; }
.prov { background: #f7f9fc; border-left: 4px solid #3b6ea5; padding: 0.4em 0.8em; font-size: 0.85em; margin: 0.6em 0; }
.prov dt { font-weight: 600; float: left; clear: left; width: 7.5em; } .prov dd { margin-left: 8em; }
.skipped { border-left-color: #999; color: #555; } .failed { border-left-color: #c0392b; background: #fdf1f0; }
.toc td:first-child { white-space: nowrap; } .status-done { color: #1e7d32; } .status-skipped { color: #777; }
.status-failed { color: #c0392b; font-weight: 600; }
footer { margin-top: 3em; font-size: 0.8em; color: #666; border-top: 1px solid #ccd; padding-top: 0.6em; }
details summary { cursor: pointer; }
"""

_SCRIPT = """
(function () {
  var errors = [];
  function check() {
    var imgs = Array.prototype.slice.call(document.images);
    var broken = imgs.filter(function (im) { return !(im.complete && im.naturalWidth > 0); })
                     .map(function (im) { return im.alt || im.src.slice(0, 40); });
    var out = document.getElementById("%s");
    if (out) {
      out.textContent = JSON.stringify({loaded: true, images: imgs.length, broken: broken, errors: errors});
    }
  }
  window.addEventListener("error", function (e) {
    var t = e.target;
    errors.push(t && t !== window && t.tagName ? "failed to load " + t.tagName.toLowerCase() : String(e.message));
    if (document.readyState === "complete") { check(); }
  }, true);
  window.addEventListener("load", check);
})();
""" % CHECK_ID


def render_page(title: str, intro_html: str, sections: list[Section], *, total_seconds: float) -> str:
    """The whole page as one string."""
    from .. import __version__

    import matplotlib
    import numpy as np

    when = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    env = (f"relucid {__version__}, Python {platform.python_version()}, numpy {np.__version__}, "
           f"matplotlib {matplotlib.__version__}, {platform.machine()} {platform.system()}")
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{_CSS}</style>",
        f"<script>{_SCRIPT}</script>",
        "</head><body>",
        f"<header><h1>{esc(title)}</h1><p>{intro_html}</p>"
        f"<p>Generated {esc(when)} in {total_seconds:.1f} s; {esc(env)}. Every figure and number below was computed "
        "in this run.</p></header>",
        _toc(sections),
    ]
    for s in sections:
        parts.append(_section(s))
    parts.append(_timings(sections, total_seconds))
    parts.append(f'<footer>Page self-check (images decoded, script errors): <output id="{CHECK_ID}">'
                 "not run (JavaScript disabled)</output></footer>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _toc(sections: list[Section]) -> str:
    rows = []
    for s in sections:
        link = f'<a href="#{esc(s.key)}">{esc(s.title)}</a>'
        state = f'<span class="status-{esc(s.status)}">{esc(s.status)}</span>'
        rows.append([("html", link), ("html", state), fmt(s.seconds, 3) if s.status != "skipped" else "—",
                     s.summary])
    return "<h2>Contents</h2>" + table_html(["section", "status", "seconds", "result"], rows).replace(
        "<table>", '<table class="toc">', 1)


def _section(s: Section) -> str:
    head = f'<section id="{esc(s.key)}"><h2>{esc(s.title)}</h2>'
    if s.status == "skipped":
        return head + f'<div class="prov skipped">Skipped: {esc(s.reason)}</div></section>'
    prov = [("network", s.network), ("data", s.data)]
    params = "; ".join(f"{k} = {v}" for k, v in s.params.items())
    steps = "; ".join(f"{name} {sec:.3f} s" for name, sec in s.steps)
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in prov + [("parameters", params),
                                                                              ("run time", f"{s.seconds:.3f} s ({steps})")]
                    if v)
    cls = "prov failed" if s.status == "failed" else "prov"
    failed = f"<p><b>This section failed:</b> {esc(s.reason)}</p>" if s.status == "failed" else ""
    return head + f'<dl class="{cls}">{items}</dl>{failed}{s.body}</section>'


def _timings(sections: list[Section], total: float) -> str:
    rows = []
    for s in sections:
        for name, sec in s.steps:
            rows.append([s.title, name, f"{sec:.4f}"])
        if s.status != "skipped":
            rows.append([s.title, "(whole section, with drawing)", f"{s.seconds:.4f}"])
    rows.append(["all", "(whole report)", f"{total:.4f}"])
    return '<section id="timings"><h2>Timings</h2>' + table_html(
        ["section", "step", "seconds"], rows, caption="Wall-clock seconds of every timed step in this run") + "</section>"
