"""What the benchmarks share: a step run in a fresh Python process, its peak memory, and growth with size.

Each measured step is a script run with ``python -c`` (so one measurement's
memory does not reach the next); it prints one JSON line last. Scripts start
with :func:`prelude`, which defines ``peak_mb()`` (VmHWM: the process's peak
resident memory) and puts the repository on ``sys.path``.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def prelude(*, tests: bool = False, one_core: bool = False) -> str:
    """The first lines of a step's script."""
    lines = ["import json, os, sys, time, warnings"]
    if tests:
        lines.append(f"sys.path.insert(0, {str(ROOT / 'tests')!r})")
    lines.append(f"sys.path.insert(0, {str(ROOT)!r})")
    if one_core:
        lines.append("os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core")
    lines.append('''
def peak_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")
''')
    return "\n".join(lines) + "\n"


def run(script: str, *args) -> dict:
    """Run ``script`` in a fresh interpreter with ``args``; its last line of output, parsed as JSON."""
    result = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def growth(sizes, seconds) -> float:
    """The exponent b of seconds ~ size^b between the smallest and the largest size (1 is linear)."""
    if len(sizes) < 2 or seconds[0] <= 0:
        return float("nan")
    return math.log(seconds[-1] / seconds[0]) / math.log(sizes[-1] / sizes[0])
