"""Where a peerbib project lives on disk.

Relative paths given to peerbib (``data/raw``, ``data/processed``,
``reports``) mean the same folder whether the code runs from the project's
root (the CLI) or from ``notebooks/`` (Jupyter): they are resolved against the
project root, the nearest folder at or above the working directory that holds
``data/raw``. ``PEERBIB_PROJECT`` in the environment names it explicitly.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["project_root", "project_path"]


def project_root(start=None) -> Path:
    """The project folder: ``$PEERBIB_PROJECT``, else the nearest folder at or
    above ``start`` (default: the working directory) that contains ``data/raw``,
    else ``start`` itself."""
    explicit = os.environ.get("PEERBIB_PROJECT")
    if explicit:
        return Path(explicit).expanduser().resolve()
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "data" / "raw").is_dir():
            return folder
    return here


def project_path(path) -> Path:
    """``path`` if absolute, else ``path`` under :func:`project_root`."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else project_root() / path
