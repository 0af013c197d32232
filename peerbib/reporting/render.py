"""An executed notebook as one self-contained HTML page: no CDN script, no stderr, a provenance footer.

nbconvert's "lab" template loads require.js, MathJax and mermaid from CDNs;
those tags are removed (the reports use none of them), so a page opens from
file:// with no network. Images are embedded as base64 PNG by nbconvert.
A map to explore (:mod:`peerbib.analysis.explore`) is left out of a printed
page: the static PNG beside it is for print.
Anything a kernel wrote to stderr (warnings) is taken out of the page and
handed back to the caller, who says it on the console: a report holds no
warning, traceback or path of the machine (:func:`.run.execute_notebook`
fails a notebook whose outputs hold a traceback or such a path).
"""
from __future__ import annotations

import copy
import html
import logging
import re

from ..analysis.takeaway import links_under_figures

__all__ = ["render_html", "stderr_messages"]

_CDN_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc=[\"']https?://[^\"']*[\"'][^>]*>\s*</script>\s*", re.IGNORECASE
)
_MODULE_IMPORT = re.compile(
    r"<script\b[^>]*type=[\"']module[\"'][^>]*>(?:(?!</script>).)*?https?://(?:(?!</script>).)*</script>\s*",
    re.IGNORECASE | re.DOTALL,
)
_MATHJAX_CONFIG = re.compile(
    r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->\s*", re.DOTALL
)
_NO_ALT = re.compile(r'alt="No description has been provided for this image"')
_PAGE_CSS = """<style>
body{max-width:72em;margin:0 auto}
.peerbib-footer{font:12px/1.5 sans-serif;color:#444;border-top:1px solid #ccc;margin:2em 0 0;padding:0.8em 1em}
.peerbib-footer code{font-size:11px}
.jp-OutputArea-output img{max-width:100%;height:auto}
@media print{.pb-explore{display:none !important}}
</style>"""


class _NoAltNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "Alternative text is missing" not in record.getMessage()


def stderr_messages(notebook) -> list[tuple[int, str]]:
    """(code cell number, text) of everything the kernel wrote to stderr."""
    found, number = [], 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        number += 1
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append((number, output.get("text", "")))
    return found


def _without_stderr(notebook):
    clean = copy.deepcopy(notebook)
    for cell in clean.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    return clean


def render_html(notebook, *, title: str, footer: str = "", with_code: bool = False, files=None) -> str:
    """Render an executed notebook to self-contained HTML.

    ``footer`` is HTML put at the end of the body (already escaped); code
    cells are left out unless ``with_code``; stderr outputs are left out.
    ``files`` (``(folder, href)``): where the run wrote its figures as files;
    each figure's links go under its image.
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = not with_code
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    quiet = _NoAltNotice()  # nbconvert logs a warning for images without alt text: they get one below
    exporter.log.addFilter(quiet)
    try:
        body, _ = exporter.from_notebook_node(_without_stderr(notebook), resources={"metadata": {"name": title}})
    finally:
        exporter.log.removeFilter(quiet)
    body = _MATHJAX_CONFIG.sub("", body)
    body = _CDN_SCRIPT.sub("", body)
    body = _MODULE_IMPORT.sub("", body)
    body = body.replace("</head>", _PAGE_CSS + "</head>", 1)
    figures = iter(range(1, 10_000))
    body = _NO_ALT.sub(lambda m: f'alt="{html.escape(title, quote=True)}: figure {next(figures)}"', body)
    if files is not None:
        body = links_under_figures(body, *files)
    body = re.sub(r"(</body>)", lambda m: f'<footer class="peerbib-footer">{footer}</footer>' + m.group(1), body,
                  count=1)
    return body
