"""Citation statements and citation-type tallies from files in the raw folder.

``data/raw/statements/`` holds

* ``*.csv``: statements (``cited_doi``, ``text``, and optionally
  ``citing_doi``, ``section``, ``type``, ``confidence``, ``classifier``,
  ``source``). A citation-statement export downloaded from scite reads the
  same way: its column names are taken by the aliases of
  :data:`STATEMENT_ALIASES` ("Citation Statement", "Snippet", "Citation
  Type", "Citing DOI", ...). A file named ``*.scite.csv`` is scite's: its
  ``source`` is "scite (export)", and when it has no cited-DOI column the file
  name gives the cited work (``10.1007_s10488-014-0603-z.scite.csv``, the first
  "_" standing for the "/").
* ``*.s2.json``: Semantic Scholar citation pages
  (``/graph/v1/paper/DOI:{doi}/citations?fields=contextsWithIntent,isInfluential,externalIds``)
  saved as ``{"cited_doi": "10.…", "pages": [page, page, …]}`` (a single
  page as ``{"cited_doi": …, "data": […]}`` works too). Each context becomes
  a statement; its intents (background / methodology / result: why a work is
  cited, not whether the citing work agrees) go to ``s2_intents``, never to
  ``type``.

A label a statement's source gave it (scite's "supporting") stays in
``source_type``; ``type`` is always peerbib's own classification, made by the
build. ``data/raw/tallies/*.csv`` hold counts per cited work (``cited_doi``,
``supporting``, ``mentioning``, ``contrasting`` or scite's ``contradicting``,
``unclassified``, ``citing_publications``). Rows come back with their DOIs as
written (normalised); the build resolves them to work ids and says which row
names a work outside the corpus.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

from ..corpus import read_csv_rows
from ..errors import CorpusError
from ..ids import is_blank, normalize_doi
from .sections import normalize_section, normalize_type

__all__ = ["read_statement_files", "read_tally_files", "statement_files", "TALLY_COUNTS", "STATEMENT_ALIASES",
           "S2_SOURCE", "SCITE_EXPORT_SOURCE"]

#: Other names of the statement columns (lower case, spaces as "_"), as exports write them.
STATEMENT_ALIASES = {
    "citation_statement": "text", "statement": "text", "snippet": "text", "citation_context": "text",
    "context": "text", "citance": "text",
    "citation_type": "type", "classification": "type", "label": "type", "smart_citation_type": "type",
    "type_confidence": "confidence", "classification_confidence": "confidence", "score": "confidence",
    "cited_paper_doi": "cited_doi", "target_doi": "cited_doi", "cited_publication_doi": "cited_doi",
    "citing_paper_doi": "citing_doi", "source_doi": "citing_doi", "citing_publication_doi": "citing_doi",
    "section_title": "section", "section_name": "section",
}
#: ``source`` of the statements of a ``*.scite.csv`` file and of a ``*.s2.json`` file.
SCITE_EXPORT_SOURCE = "scite (export)"
S2_SOURCE = "semantic scholar"
_S2_INTENTS = ("background", "methodology", "result")
_S2_REQUEST_DOI = re.compile(r"/paper/DOI:(.+?)/citations(?:[?#]|$)", re.IGNORECASE)


def statement_files(folder) -> list[Path]:
    """The statement files of a folder: ``*.csv`` and ``*.s2.json``, sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                  and (p.suffix.lower() == ".csv" or p.name.lower().endswith(".s2.json")))

TALLY_COUNTS = ("supporting", "mentioning", "contrasting", "unclassified", "citing_publications", "citation_statements")


def _number(value, path, line, name, kind=int):
    if is_blank(value):
        return None
    try:
        number = kind(str(value).strip())
    except ValueError:
        raise CorpusError(f"{name} {value!r} is not a number", path=path, line=line) from None
    if kind is int and number < 0:
        raise CorpusError(f"{name} {value!r} is negative", path=path, line=line)
    return number


def _provenance(path: Path, line: int, record: dict) -> str:
    where = f"{path.name}:{line}"
    if record.get("seed_file"):
        where += f" (seed {record['seed_file']}:{record.get('seed_line')})"
    return where


def read_statement_files(paths) -> list[dict]:
    """Statement rows of every file in ``paths``, in order, checked.

    Each row has ``cited_doi``, ``citing_doi``, ``text``, ``section``,
    ``section_heading`` (as the file shows it), ``type``, ``confidence``, ``classifier``,
    ``source``, ``provenance``, and ``path``/``line`` for messages.

    Raises
    ------
    CorpusError
        Naming the file and line of an empty text or cited DOI, an unknown
        type, or a confidence outside 0..1.
    """
    rows = []
    for path in map(Path, paths):
        if path.name.lower().endswith(".s2.json"):
            rows.extend(_s2_rows(path))
            continue
        scite = path.name.lower().endswith(".scite.csv")
        named = _doi_of_file_name(path) if scite else None
        records = read_csv_rows(path, required_all=("text",) if named else ("cited_doi", "text"),
                                aliases=STATEMENT_ALIASES)
        for line, record in records:
            if named and not record.get("cited_doi"):
                record["cited_doi"] = named
            if scite and not record.get("source"):
                record["source"] = SCITE_EXPORT_SOURCE
                record["classifier"] = record.get("classifier") or "scite (export)"
            cited = normalize_doi(record.get("cited_doi"))
            if cited is None:
                raise CorpusError("cited_doi is empty; every statement cites a corpus work", path=path, line=line)
            try:
                kind = normalize_type(record.get("type"))
            except ValueError as exc:
                raise CorpusError(str(exc), path=path, line=line) from None
            confidence = _number(record.get("confidence"), path, line, "confidence", float)
            if confidence is not None and not 0 <= confidence <= 1:
                raise CorpusError(f"confidence {confidence} is not between 0 and 1", path=path, line=line)
            shown = record.get("section_heading") or record.get("section_as_shown") or record.get("section") or None
            text = (record.get("text") or "").strip()
            if not text:
                raise CorpusError("text is empty", path=path, line=line)
            rows.append({
                "cited_doi": cited,
                "citing_doi": normalize_doi(record.get("citing_doi")),
                "text": text,
                "section": normalize_section(shown),
                "section_heading": shown,
                "type": kind,
                "confidence": confidence,
                "classifier": record.get("classifier") or None,
                "source": record.get("source") or path.stem,
                "provenance": _provenance(path, line, record),
                "path": path,
                "line": line,
            })
    return rows


def _doi_of_file_name(path: Path) -> str | None:
    """``10.1007_s10488-014-0603-z.scite.csv`` -> "10.1007/s10488-014-0603-z" (None when it is no DOI)."""
    stem = path.name[: -len(".scite.csv")]
    prefix, sep, rest = stem.partition("_")
    if not sep or not re.fullmatch(r"10\.\d{4,9}", prefix):
        return None
    return normalize_doi(f"{prefix}/{rest}")


def _s2_rows(path: Path) -> list[dict]:
    """Statements of a saved Semantic Scholar citations file (see the module notes).

    Every field is checked for its type before it is used: the file is the
    user's (saved by hand, or by a script of theirs), and a field of another
    type is a one-line :class:`CorpusError` naming the file and the place.
    """
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise CorpusError(f"not a JSON file Semantic Scholar wrote ({exc})", path=path) from None
    if not isinstance(data, dict):
        raise CorpusError('expected {"cited_doi": "10.…", "pages": [...]} (a JSON object), found '
                          f"{_json_type(data)}", path=path)
    given = data.get("cited_doi")
    if given is not None and not isinstance(given, str):
        raise CorpusError(f'"cited_doi" is {_json_type(given)}; write the DOI as text, "cited_doi": "10.…"',
                          path=path)
    cited = normalize_doi(given)
    if cited is None:
        request = data.get("request") or data.get("_request") or data.get("url") or ""
        found = _S2_REQUEST_DOI.search(request) if isinstance(request, str) else None
        cited = normalize_doi(unquote(found.group(1))) if found else None
    if cited is None:
        raise CorpusError('the cited work is not named: add "cited_doi": "10.…" (the DOI whose citations these '
                          "pages list) at the top of the file", path=path)
    pages = data.get("pages")
    if pages is None and "data" in data:
        pages = [data]
    if not isinstance(pages, list) or not all(isinstance(p, dict) for p in pages):
        raise CorpusError('expected "pages": a list of the answers of /paper/{id}/citations', path=path)
    rows = []
    for number, page in enumerate(pages, 1):
        items = page.get("data")
        if not isinstance(items, list):
            raise CorpusError(f"page {number} has no \"data\" list of citations (found {_json_type(items)})",
                              path=path)
        for position, item in enumerate(items, 1):
            where = f"page {number}, citation {position}"
            if not isinstance(item, dict):
                raise CorpusError(f"{where} is not an object but {_json_type(item)}", path=path)
            citing = _s2_field(item, "citingPaper", dict, {}, where, path)
            external = _s2_field(citing, "externalIds", dict, {}, f"{where}, citingPaper", path)
            citing_doi = _s2_field(external, "DOI", str, None, f"{where}, citingPaper.externalIds", path)
            paper_id = _s2_field(citing, "paperId", str, None, f"{where}, citingPaper", path)
            contexts = _s2_field(item, "contextsWithIntent", list, None, where, path)
            if contexts is None:  # asked with fields=contexts,intents: the intents are the citation's
                texts = _s2_field(item, "contexts", list, [], where, path)
                intents = _s2_field(item, "intents", list, [], where, path)
                contexts = [{"context": c, "intents": intents} for c in texts]
            influential = item.get("isInfluential")
            for k, context in enumerate(contexts, 1):
                here = f"{where}, context {k}"
                if not isinstance(context, dict):
                    # only "contextsWithIntent" can hold one: "contexts" were made objects above
                    raise CorpusError(f"{here}: expected an object {{\"context\": …, \"intents\": […]}} in "
                                      f'"contextsWithIntent", found {_json_type(context)}', path=path)
                text = _s2_field(context, "context", str, "", here, path).strip()
                intents = _s2_field(context, "intents", list, [], here, path)
                if not text:
                    continue  # Semantic Scholar often has the citation but not its sentence
                odd = [i for i in intents if not isinstance(i, str) or i.lower() not in _S2_INTENTS]
                if odd:
                    raise CorpusError(f"{where}: intent {odd[0]!r} is not one of {', '.join(_S2_INTENTS)}",
                                      path=path)
                rows.append({
                    "cited_doi": cited,
                    "citing_doi": normalize_doi(citing_doi),
                    "text": text,
                    "section": None,
                    "section_heading": None,
                    "type": None,
                    "confidence": None,
                    "classifier": None,
                    "source": S2_SOURCE,
                    "s2_intents": "; ".join(sorted({i.lower() for i in intents})) or None,
                    "s2_influential": influential if isinstance(influential, bool) else None,
                    "citing_s2": paper_id,
                    "provenance": f"{path.name}: page {number}, citation {position}, context {k}",
                    "path": path,
                    "line": None,
                })
    return rows


_JSON_TYPES = {dict: "an object", list: "a list", str: "text", bool: "true/false", int: "a number",
               float: "a number", type(None): "null"}


def _json_type(value) -> str:
    """What a JSON value is, in JSON's words ("a list", "text", "a number")."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _s2_field(record: dict, name: str, kind: type, default, where: str, path: Path):
    """``record[name]`` when it is a ``kind``; ``default`` when absent or null; else a CorpusError saying so."""
    value = record.get(name)
    if value is None:
        return default
    if not isinstance(value, kind):
        raise CorpusError(f'{where}: "{name}" is {_json_type(value)}, expected {_JSON_TYPES[kind]}', path=path)
    return value


def read_tally_files(paths) -> list[dict]:
    """Tally rows of every file in ``paths``: ``cited_doi``, the counts of :data:`TALLY_COUNTS`,
    ``source``, ``provenance``, ``path``, ``line``."""
    rows = []
    for path in map(Path, paths):
        for line, record in read_csv_rows(path, required_all=("cited_doi",)):
            if "contradicting" in record and "contrasting" not in record:
                record["contrasting"] = record.pop("contradicting")
            row = {
                "cited_doi": normalize_doi(record.get("cited_doi")),
                "source": record.get("source") or path.stem,
                "provenance": _provenance(path, line, record),
                "path": path,
                "line": line,
            }
            for name in TALLY_COUNTS:
                row[name] = _number(record.get(name), path, line, name)
            rows.append(row)
    return rows
