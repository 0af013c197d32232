"""Benchmark: ``peerbib report`` on the bundled offline data, against the target of 60 seconds.

Three runs, each on a fresh copy of the repository's ``data/raw`` and
``notebooks/`` in a temporary folder, each a separate process:

* **peerbib report, cold**: no tables, no reports: the build, every notebook
  executed, every page rendered with its figures and tables as files, the
  index. This is the README's main job after the install, and the figure the
  target is about.
* **peerbib report, warm**: the same again in the same project (the tables are
  built; the reports folder is replaced).
* **baseline, plain nbconvert**: ``python -m nbconvert --execute --to html``
  on the same notebooks, with the tables already built: what executing and
  rendering the notebooks costs without peerbib's report machinery (no
  output checks, no figure files, no index, no footer).

Printed: seconds of each, the ratio of each peerbib run to the baseline, and
the load average before and after (other work on the machine slows every run
alike).

Usage::

    python benchmarks/report_time.py
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 60.0


def _project(folder: Path) -> Path:
    root = folder / "project"
    shutil.copytree(ROOT / "data" / "raw", root / "data" / "raw")
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return root


def _timed(command: list[str], cwd: Path) -> float:
    env = dict(os.environ, PEERBIB_PROJECT=str(cwd))
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return seconds


def main() -> int:
    before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="peerbib-report-bench-") as folder:
        root = _project(Path(folder))
        cold = _timed([sys.executable, "-m", "peerbib", "report", "--quiet"], root)
        warm = _timed([sys.executable, "-m", "peerbib", "report", "--quiet"], root)
        pages = sorted(p.name for p in (root / "reports").glob("*.html"))
        files = sum(1 for p in (root / "reports" / "files").rglob("*") if p.is_file())
        out = root / "nbconvert"
        notebooks = sorted(str(p) for p in (root / "notebooks").glob("*.ipynb"))
        baseline = _timed([sys.executable, "-m", "nbconvert", "--execute", "--to", "html", "--output-dir", str(out),
                           *notebooks], root)
    after = os.getloadavg()
    print(f"peerbib report on the bundled data: {len(pages)} pages, {files} figure and table files")
    print(f"{'run':<40}{'seconds':>9}{'x baseline':>12}")
    print(f"{'peerbib report, cold (build + pages)':<40}{cold:>9.1f}{cold / baseline:>12.2f}")
    print(f"{'peerbib report, warm (tables built)':<40}{warm:>9.1f}{warm / baseline:>12.2f}")
    print(f"{'baseline: nbconvert --execute, same nbs':<40}{baseline:>9.1f}{1:>12.2f}")
    print(f"target: cold run under {TARGET:.0f} s: {'PASS' if cold < TARGET else 'FAIL'}")
    print(f"load average before {before[0]:.1f}, after {after[0]:.1f} ({os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
