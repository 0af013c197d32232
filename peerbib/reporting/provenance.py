"""Where a report's numbers came from: versions, the raw data's fingerprint, the snapshot, the classifier,
the seed, and the command that makes the page again.

Nothing secret is ever shown: the snapshot's manifest holds no key or email
(the fetch never stores them), and every query URL is shown without its
parameters named like a key, a token or an email all the same. No absolute
path is shown: folders are named relative to the project.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
from collections import Counter
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ..settings import RANDOM_STATE
from ..snapshot.store import MANIFEST, Snapshot

__all__ = ["provenance", "footer_html", "provenance_html", "command", "relative"]

_SECRET_PARAM = re.compile(r"([?&])(api_key|mailto|email|key|token)=[^&]*", re.IGNORECASE)


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def relative(path, root: Path) -> str:
    """``path`` relative to the project ``root`` (its name alone when outside it: no machine path is shown)."""
    return _relative(path, root)


def _relative(path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return Path(path).name


def provenance(tables, processed: Path, root: Path) -> dict:
    """What a report run stands on (a dict, JSON-able). ``root`` is the project folder."""
    from .. import __version__
    from ..tables.inputs import snapshot_dir

    info = getattr(tables, "info", None) or {}
    raw = Path(info["raw"]) if info.get("raw") else None
    out = {
        "peerbib": __version__,
        "pyalex": _version("pyalex"),
        "scikit-learn": _version("scikit-learn"),
        "raw": _relative(raw, root) if raw else "unknown",
        "raw_sha256": info.get("raw_sha256") or "unknown",
        "built_at": info.get("built_at", "unknown"),
        "tables": _relative(processed, root),
        "corpus_files": [f"{f['file']} ({f['format']}, {f['records']} records)" for f in info.get("corpus") or []],
        "classifiers": sorted(str(c) for c in tables.statements["classifier"].dropna().unique())
        if "classifier" in tables.statements.columns else [],
        "random_state": RANDOM_STATE,
        "snapshot": None,
    }
    folder = snapshot_dir(raw) if raw is not None and raw.is_dir() else None
    if folder is not None:
        out["snapshot"] = _snapshot(folder, root)
    return out


def _snapshot(folder: Path, root: Path) -> dict:
    """What the report says of the snapshot in ``folder``: its manifest's fingerprint, fetches and queries."""
    path = folder / MANIFEST
    data = path.read_bytes()
    manifest = Snapshot.read_manifest(path, data)
    fetches = manifest.fetches or ()
    return {
        "folder": _relative(folder, root),
        "manifest_sha256": hashlib.sha256(data).hexdigest(),
        "created": manifest.created,
        "updated": manifest.updated,
        "fetches": [{"started": f.started, "finished": f.finished, "status": f.status} for f in fetches],
        "queries": dict(sorted(Counter(str(q.kind) for q in manifest.queries or ()).items())),
        "searches": sorted({str(f.search) for f in fetches if f.search}),
        "api": _SECRET_PARAM.sub(r"\1", str(manifest.api if manifest.has("api") else "")),
        "pyalex": manifest.pyalex_version,
        "source": _plain(manifest.source),
    }


def _plain(value):
    """A manifest value as JSON has it (tuples as lists), for the provenance dict."""
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def command(*, only=None, hide_labels: bool = False, with_code: bool = False, folders=()) -> str:
    """The command that renders these pages again, run in the project folder.

    ``folders`` are (flag, folder) pairs given other than by default, named relative to the project.
    """
    parts = ["peerbib report", *(f"{flag} {folder}" for flag, folder in folders)]
    if only:
        parts.append("--only " + " ".join(only))
    if hide_labels:
        parts.append("--hide-labels")
    if with_code:
        parts.append("--with-code")
    return " ".join(parts)


def footer_html(prov: dict, page_command: str, rendered_at: str, *, hide_labels: bool = False,
                note: str | None = None) -> str:
    """The footer of every page: the essentials in two lines, escaped."""
    e = html.escape
    snap = prov.get("snapshot")
    fetched_with = f" (fetched with {e(str(snap['pyalex']))})" if snap and snap.get("pyalex") and \
        str(snap["pyalex"]) != prov["pyalex"] else ""
    source = (f"OpenAlex snapshot {e(snap['folder'])}, manifest sha256 <code>{e(snap['manifest_sha256'][:16])}</code>"
              f", fetched {e(_span(snap))}" if snap else "no OpenAlex snapshot (corpus files only)")
    classifiers = ", ".join(prov["classifiers"]) or "no statements classified"
    return (
        f"peerbib {e(prov['peerbib'])} · pyalex {e(prov['pyalex'])}{fetched_with} · raw data sha256 "
        f"<code>{e(prov['raw_sha256'][:16])}</code> ({e(prov['raw'])}, built {e(prov['built_at'])}) · "
        f"{source} · classifier {e(classifiers)} · random_state {e(str(prov['random_state']))} · "
        f"rendered {e(rendered_at)}{' · citation-type labels hidden' if hide_labels else ''}<br>made by <code>{e(page_command)}</code> in the project folder; "
        "the index page has the full provenance" + (f"<br><strong>{e(note)}</strong>" if note else "")
    )


def _span(snap: dict) -> str:
    dates = sorted(d for f in snap["fetches"] for d in (f.get("started"), f.get("finished")) if d)
    if not dates:
        return str(snap.get("created") or "unknown")
    first, last = dates[0][:10], dates[-1][:10]
    return first if first == last else f"{first} to {last}"


def provenance_html(prov: dict, run_command: str) -> str:
    """Everything in :func:`provenance`, as a definition list (escaped)."""
    e = html.escape
    rows = [
        ("peerbib", prov["peerbib"]), ("pyalex", prov["pyalex"]), ("scikit-learn", prov["scikit-learn"]),
        ("raw data", f"{prov['raw']} (sha256 {prov['raw_sha256']})"),
        ("tables", f"{prov['tables']}, built {prov['built_at']}"),
        ("corpus files", "; ".join(prov["corpus_files"]) or "—"),
        ("citation-type classifier", ", ".join(prov["classifiers"]) or "no statements classified"),
        ("random_state (clusters, samples)", str(prov["random_state"])),
    ]
    snap = prov.get("snapshot")
    if snap:
        rows += [
            ("OpenAlex snapshot", f"{snap['folder']}: manifest sha256 {snap['manifest_sha256']}"),
            ("fetches", "; ".join(f"{f['started']} to {f['finished']} ({f['status']})" for f in snap["fetches"])
             or "—"),
            ("queries", ", ".join(f"{n} {kind}" for kind, n in snap["queries"].items()) or "—"),
            ("searches", "; ".join(snap["searches"]) or "—"),
            ("API", snap["api"] or "—"),
            ("pyalex of the fetch", str(snap.get("pyalex") or "—")),
            ("fetched from", json.dumps(snap["source"], sort_keys=True) if snap.get("source") else "the OpenAlex API"),
        ]
    else:
        rows.append(("OpenAlex snapshot", "none: the tables come from the corpus files only"))
    rows.append(("command", f"{run_command} (in the project folder)"))
    items = "".join(f"<dt>{e(k)}</dt><dd>{e(str(v))}</dd>" for k, v in rows)
    return f'<dl class="peerbib-provenance">{items}</dl>'
