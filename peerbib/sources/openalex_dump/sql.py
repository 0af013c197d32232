"""The dump's queries, written once for both engines: DuckDB on one machine, Spark SQL on a cluster.

The two dialects agree on almost everything the queries use (``regexp_extract``,
``coalesce``, window functions, ``IN`` sub-queries, struct fields); where they
name a function differently or write a lambda differently, the query calls
the small function below that spells it for the engine. So a change to what
the index keeps, or to how the newest version of a work is chosen, is made in
one place and both engines run it.
"""
from __future__ import annotations

__all__ = ["ENGINES", "projection", "latest_versions", "citing_ids", "doi_ids"]

ENGINES = ("duckdb", "spark")


def _transform(engine: str, array: str, var: str, body: str) -> str:
    return f"list_transform({array}, lambda {var}: {body})" if engine == "duckdb" else \
        f"transform({array}, {var} -> {body})"


def _fn(engine: str, name: str) -> str:
    return {
        "explode": ("unnest", "explode"),
    }[name][ENGINES.index(engine)]


def _short(x: str) -> str:
    return f"upper(regexp_extract({x}, '([WwAaSs][0-9]+)$', 1))"


def _number(x: str) -> str:
    """The number of a work id or URL (``https://openalex.org/W123``, ``W123`` -> 123; NULL for another).

    References are kept as these numbers: a list of integers reads, joins and becomes Python
    objects in about half the time of a list of strings (a study reads millions of them)."""
    return f"TRY_CAST(regexp_extract({x}, '[Ww]([0-9]+)$', 1) AS BIGINT)"


def projection(engine: str, source: str, date_sql: str, extra: str = "") -> str:
    """SELECT of the index's columns from the raw Work records in ``source`` (a table, view or table
    function); ``date_sql`` is the updated_date of a record that has none (its partition's date), and
    ``extra`` more columns of ``source`` to carry along (e.g. the part a row came from).

    References are kept as the numbers of the works' ids (``W123`` -> 123, see :func:`_number`).
    Authorships are kept as the records hold them (the fields :data:`.index.JSON_COLUMNS` declares),
    keywords, MeSH terms and topics as lists of their names.
    The abstract stays as OpenAlex gives it, its inverted index as JSON text (``source`` reads
    the column as a string): turning it into text is left to the reader of the few works a study
    returns (:func:`peerbib.sources.openalex.records.decode_abstract`), because parsing every
    record's index into a map and sorting its words doubled the time of indexing a dump."""
    return f"""
SELECT
  {_short("id")} AS id,
  nullif(lower(regexp_replace(trim(doi), '^(https?://)?(dx[.])?doi[.]org/', '')), '') AS doi,
  coalesce(title, display_name) AS title,
  publication_year,
  type,
  primary_location.source.display_name AS venue,
  authorships,
  {_transform(engine, "keywords", "k", "k.display_name")} AS keywords,
  {_transform(engine, "mesh", "m", "m.descriptor_name")} AS mesh,
  {_transform(engine, "topics", "t", "t.display_name")} AS topics,
  is_retracted,
  fwci,
  cited_by_count,
  counts_by_year,
  abstract_inverted_index,
  {_transform(engine, "referenced_works", "r", _number("r"))} AS reference_numbers,
  coalesce(is_xpac, false) AS is_xpac,
  coalesce(substr(updated_date, 1, 10), {date_sql}) AS updated_date,
  coalesce(has_content.grobid_xml, false) AS grobid_xml,
  ids.pmcid AS pmcid{", " + extra if extra else ""}
FROM {source}
WHERE id IS NOT NULL"""


COLUMNS = ("id, doi, title, publication_year, type, venue, authorships, keywords, mesh, topics, is_retracted, "
           "fwci, cited_by_count, counts_by_year, abstract_inverted_index, "
           "reference_numbers, grobid_xml, pmcid")


def latest_versions(hit: str, *, include_xpac: bool = False, where: str = "true", columns: str = COLUMNS) -> str:
    """The newest version (by ``updated_date``) of every work whose id ``hit`` selects, without deleted
    ids (the ``deleted`` view) and, unless ``include_xpac``, without XPAC works; ``columns`` of it
    (all the index's by default; the engine reads only those and the ones the filters need). Both
    engines."""
    xpac = "" if include_xpac else "AND NOT is_xpac"
    return f"""
SELECT {columns} FROM (
  SELECT *, row_number() OVER (PARTITION BY id ORDER BY updated_date DESC) AS version_rank
  FROM versions WHERE id IN ({hit})) latest
WHERE version_rank = 1 AND ({where}) {xpac} AND id NOT IN (SELECT id FROM deleted)
ORDER BY id"""


def citing_ids(engine: str, wanted: str) -> str:
    """Ids of the works whose references hold an id of ``wanted`` (a one-column table ``id``): the
    references unnested and semi-joined on the wanted ids' numbers (Spark broadcasts the small side)."""
    return (f"SELECT DISTINCT refs.id FROM (SELECT id, {_fn(engine, 'explode')}(reference_numbers) AS ref "
            f"FROM versions) refs WHERE refs.ref IN (SELECT {_number('id')} FROM {wanted})")


def doi_ids(wanted: str) -> str:
    """Ids of the works with a DOI of ``wanted`` (a one-column table ``doi``)."""
    return f"SELECT DISTINCT id FROM versions WHERE doi IN (SELECT doi FROM {wanted})"
