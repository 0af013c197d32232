"""Answering peerbib's OpenAlex queries from a snapshot index, offline, as the API would.

:class:`LocalOpenAlex` takes the very request URLs peerbib's fetch builds with
pyalex (DOI and id batches, single works, ``cites:`` batches, title and
abstract searches for rows without a DOI, a full-text search) and answers
them with API-shaped pages read from the index. So ``pb.fetch(...,
source=INDEX)`` resolves the corpus, finds citing works and writes the
snapshot exactly as the API path does; only its provenance differs.

Each query reads the columns and rows it needs: the predicate runs on the
index's Parquet files (DuckDB pushes it into the scan), then the newest
version of each matching work is taken (a work lives in the partition of
its last change), deleted ids are left out, and with ``include_xpac=False``
(the default, as the API) so are the XPAC expansion works.
"""
from __future__ import annotations

import base64
import json
import re
import threading
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from ...errors import OpenAlexRequestError, SnapshotError
from ..http import ApiResponse, RequestStats
from .index import INDEX_MANIFEST, duckdb_connection, engine_version

__all__ = ["SnapshotIndex", "LocalOpenAlex"]

_COLUMNS = ("id, doi, title, publication_year, type, venue, authors, cited_by_count, counts_by_year, abstract, "
            "referenced_works, grobid_xml, pmcid")
_WORD_SPLIT = r"[^\w]+"


class SnapshotIndex:
    """A peerbib snapshot index (``peerbib snapshot index``) opened for queries."""

    def __init__(self, folder, *, memory_limit: str = "2GB", threads: int = 2, include_xpac: bool = False):
        self.folder = Path(folder).expanduser()
        path = self.folder / INDEX_MANIFEST
        if not path.is_file():
            raise SnapshotError(f"no snapshot index in {self.folder}: make one with "
                                "`peerbib snapshot index SNAPSHOT_DIR --out INDEX`")
        self.manifest = json.loads(path.read_text(encoding="utf-8"))
        if not self.manifest.get("parts"):
            raise SnapshotError(f"the snapshot index in {self.folder} holds no part yet: run the index again")
        self.include_xpac = include_xpac
        self._lock = threading.Lock()
        self._con = duckdb_connection(memory_limit=memory_limit, threads=threads)
        parts = str(self.folder / "parts" / "*.parquet")
        deleted = str(self.folder / "deleted.parquet")
        self._con.execute(f"CREATE VIEW versions AS SELECT * FROM read_parquet('{parts}')")
        self._con.execute(f"CREATE VIEW deleted AS SELECT id FROM read_parquet('{deleted}')"
                          if Path(deleted).is_file() else "CREATE VIEW deleted AS SELECT NULL::VARCHAR AS id WHERE false")

    def provenance(self) -> dict:
        snap = self.manifest.get("snapshot") or {}
        return {"kind": "openalex-snapshot", "release": snap.get("release"), "layout": snap.get("layout"),
                "format": snap.get("format"), "engine": engine_version(), "index_engine": self.manifest.get("engine"),
                "xpac": "included" if self.include_xpac else "excluded (is_xpac = false, as the API)"}

    def close(self) -> None:
        self._con.close()

    def works(self, where: str, params: list, *, order: str = "id") -> list[dict]:
        """The newest version of every work matching ``where`` (SQL over the index's columns)."""
        xpac = "" if self.include_xpac else "AND NOT is_xpac"
        sql = f"""
        WITH hit AS (SELECT DISTINCT id FROM versions WHERE {where}),
        latest AS (
          SELECT * FROM versions WHERE id IN (SELECT id FROM hit)
          QUALIFY row_number() OVER (PARTITION BY id ORDER BY updated_date DESC) = 1)
        SELECT {_COLUMNS} FROM latest
        WHERE ({where}) {xpac} AND id NOT IN (SELECT id FROM deleted)
        ORDER BY {order}"""
        with self._lock:
            cursor = self._con.execute(sql, params + params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]


def _api_record(row: dict) -> dict:
    """An index row as the API's Work object (the fields peerbib selects)."""
    words = (row.get("abstract") or "").split(" ") if row.get("abstract") else []
    inverted: dict[str, list[int]] = {}
    for position, word in enumerate(words):
        inverted.setdefault(word, []).append(position)
    return {
        "id": f"https://openalex.org/{row['id']}",
        "doi": f"https://doi.org/{row['doi']}" if row.get("doi") else None,
        "title": row.get("title"),
        "display_name": row.get("title"),
        "publication_year": row.get("publication_year"),
        "type": row.get("type"),
        "cited_by_count": row.get("cited_by_count"),
        "counts_by_year": [dict(c) for c in row.get("counts_by_year") or []],
        "abstract_inverted_index": inverted or None,
        "referenced_works": [f"https://openalex.org/{w}" for w in row.get("referenced_works") or [] if w],
        "primary_location": {"source": {"display_name": row["venue"]}} if row.get("venue") else None,
        "authorships": [{"author": {"display_name": a}} for a in row.get("authors") or [] if a],
        "has_content": {"grobid_xml": bool(row.get("grobid_xml"))},
        "open_access": None,
        "ids": {"openalex": f"https://openalex.org/{row['id']}", **({"pmcid": row["pmcid"]} if row.get("pmcid") else {})},
    }


def _select(record: dict, select: str | None) -> dict:
    if not select:
        return record
    return {f: record.get(f) for f in select.split(",") if f}


def _short(value: str) -> str:
    return value.rstrip("/").rsplit("/", 1)[-1].upper()


def _norm_doi(value: str) -> str:
    value = unquote(value).strip().lower()
    return re.sub(r"^(https?://)?(dx\.)?doi\.org/|^doi:", "", value)


def _words(text: str) -> list[str]:
    return [w for w in re.split(_WORD_SPLIT, text.lower()) if w]


class LocalOpenAlex:
    """A stand-in for :class:`~peerbib.sources.openalex.client.OpenAlexClient` that answers from a snapshot index.

    It understands the requests peerbib makes (see :mod:`peerbib.sources.openalex.queries`); any
    other is an :class:`OpenAlexRequestError` that says so. No request leaves the machine.
    """

    def __init__(self, index: SnapshotIndex, *, cancel=None):
        self.index = index
        self.stats = RequestStats()
        self.cancel = cancel or threading.Event()
        self._results: dict[str, list[dict]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LocalOpenAlex({self.index.folder.name}, requests={self.stats.requests})"

    def close(self) -> None:
        self.index.close()

    def redact(self, text) -> str:
        return str(text)

    def get_content(self, url: str, *, allow_404: bool = True) -> ApiResponse:
        raise OpenAlexRequestError(
            "full text is not in the OpenAlex snapshot: fetch with --fulltext from the API, or without it here", url=url)

    def get_json(self, url: str, *, allow_404: bool = False) -> ApiResponse:
        split = urlsplit(url)
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        path = unquote(split.path)
        self.stats.count_request("snapshot")
        if path == "/works":
            data = self._list(params)
        elif path.startswith("/works/"):
            data = self._single(path[len("/works/"):], params)
            if data is None:
                if not allow_404:
                    from ...errors import OpenAlexNotFoundError

                    raise OpenAlexNotFoundError(f"not in the snapshot index: {path}", url=url)
                return ApiResponse(url, url, 404, None, 0.0, True)
        else:
            raise OpenAlexRequestError(f"the snapshot index cannot answer {path}", url=url)
        return ApiResponse(url, url, 200, data, 0.0, True)

    def _single(self, ident: str, params: dict):
        if ident.lower().startswith(("doi:", "https://doi.org/")):
            rows = self.index.works("doi = ?", [_norm_doi(ident)])
        else:
            rows = self.index.works("id = ?", [_short(ident)])
        return _select(_api_record(rows[0]), params.get("select")) if rows else None

    def _where(self, params: dict) -> tuple[str, list]:
        clauses, values = [], []
        for clause in (params.get("filter") or "").split(","):
            if not clause:
                continue
            attr, _, value = clause.partition(":")
            options = value.split("|")
            if attr == "doi":
                clauses.append("doi IN (SELECT unnest(?::VARCHAR[]))")
                values.append([_norm_doi(v) for v in options])
            elif attr in ("openalex_id", "openalex", "ids.openalex"):
                clauses.append("id IN (SELECT unnest(?::VARCHAR[]))")
                values.append([_short(v) for v in options])
            elif attr == "cites":
                clauses.append("list_has_any(referenced_works, ?::VARCHAR[])")
                values.append([_short(v) for v in options])
            elif attr == "publication_year":
                low, _, high = value.partition("-")
                clauses.append("publication_year BETWEEN ? AND ?")
                values += [int(low), int(high or low)]
            elif attr == "title.search":
                clauses.append(f"list_has_all(string_split_regex(lower(title), '{_WORD_SPLIT}'), ?::VARCHAR[])")
                values.append(_words(value))
            elif attr == "title_and_abstract.search":
                clauses.append(f"list_has_all(string_split_regex(lower(coalesce(title, '') || ' ' || "
                               f"coalesce(abstract, '')), '{_WORD_SPLIT}'), ?::VARCHAR[])")
                values.append(_words(value))
            else:
                raise OpenAlexRequestError(f"the snapshot index cannot filter by {attr!r}")
        if params.get("search"):
            clauses.append(f"list_has_all(string_split_regex(lower(coalesce(title, '') || ' ' || "
                           f"coalesce(abstract, '')), '{_WORD_SPLIT}'), ?::VARCHAR[])")
            values.append(_words(params["search"]))
        return " AND ".join(f"({c})" for c in clauses) or "true", values

    def _list(self, params: dict) -> dict:
        key = json.dumps({k: v for k, v in sorted(params.items()) if k not in ("cursor", "page")})
        with self._lock:
            found = self._results.get(key)
        if found is None:
            where, values = self._where(params)
            found = [_api_record(row) for row in self.index.works(where, values)]
            with self._lock:
                self._results[key] = found
        per_page = int(params.get("per_page") or params.get("per-page") or 25)
        cursor = params.get("cursor")
        offset = int(base64.urlsafe_b64decode(cursor.encode()).decode()) if cursor and cursor != "*" else 0
        page = found[offset: offset + per_page]
        done = offset + per_page >= len(found)
        if done:
            with self._lock:
                self._results.pop(key, None)
        meta = {"count": len(found), "per_page": per_page, "page": None if cursor else 1,
                "next_cursor": None if done or not cursor else base64.urlsafe_b64encode(
                    str(offset + per_page).encode()).decode()}
        return {"meta": meta, "results": [_select(r, params.get("select")) for r in page], "group_by": []}
