"""A peerbib project folder anywhere: ``peerbib init DIR`` / :func:`init_project`.

A project is a folder with ``data/raw/corpus/`` (the researcher's exports),
``notebooks/`` (the analysis notebooks, the researcher's own copies to edit)
and a README saying what goes where. ``peerbib fetch``, ``build`` and
``report`` run from the folder or any folder below it (see
:mod:`peerbib.paths`).

The notebooks are shipped inside the package (``peerbib/notebooks/`` once
installed; in a clone of the repository they are its ``notebooks/``), so a
project needs no clone, and ``peerbib report`` in a project whose
``notebooks/`` folder is missing or empty runs the shipped ones.
"""
from __future__ import annotations

import filecmp
from dataclasses import dataclass, field
from pathlib import Path

from .errors import PeerbibError
from .files import atomic_write, atomic_write_text

__all__ = ["init_project", "shipped_notebooks", "InitReport"]

#: The search as the user writes it down (data/raw/corpus/searches.csv, read by peerbib.corpus.searches):
#: the header and one commented example row, which is ignored.
SEARCHES_TEMPLATE = (
    "database,query,date,records\n"
    '# Scopus,"TITLE-ABS-KEY(""peer review"" AND citation*) AND PUBYEAR > 2009",2024-03-01,412\n'
)

#: The user's merge decisions (data/raw/corpus/same_works.csv and different_works.csv, read by
#: peerbib.corpus.user_merges): the header and a comment saying how to fill them; as written, no merges.
SAME_WORKS_TEMPLATE = (
    "keep,same_as,note\n"
    "# A line per work the build kept as two: the record to keep; the records that are the same work; why. "
    "Name a record by its DOI or as file:line (the corpus file and the line its record starts on; the build's "
    "warnings write them). Lines starting with # are ignored: remove the # of the example to use it.\n"
    "# 10.1000/right-doi,scopus.csv:12,the DOI in the Scopus export is mangled\n"
)
DIFFERENT_WORKS_TEMPLATE = (
    "record,different_from,note\n"
    "# A line per set of records the build joined (or warned about) that are different works: the records; why. "
    "Name a record by its DOI or as file:line (the corpus file and the line its record starts on; the build's "
    "warnings write them). Lines starting with # are ignored: remove the # of the example to use it.\n"
    "# scopus.csv:5,wos.txt:27,two reports with one title\n"
)

_PACKAGE = Path(__file__).resolve().parent


def shipped_notebooks() -> Path:
    """The folder of the notebooks that came with peerbib.

    Installed from a wheel they are ``peerbib/notebooks/``; run from a clone
    (or an editable install) they are the repository's ``notebooks/``.
    """
    for folder in (_PACKAGE / "notebooks", _PACKAGE.parent / "notebooks"):
        if any(folder.glob("*.ipynb")):
            return folder
    raise PeerbibError(
        f"peerbib's notebooks are missing from {_PACKAGE / 'notebooks'}: reinstall peerbib (pip install peerbib)"
    )


_README = """\
# {name} — a peerbib project

What goes where:

| path | what it holds | who writes it |
| --- | --- | --- |
| `data/raw/corpus/` | the literature: database exports (Scopus CSV, Web of Science plain text or tab-delimited, PubMed/MEDLINE `.nbib`, Zotero/OpenAlex/Lens/Dimensions CSV), BibTeX, RIS, or a CSV with a `doi` or `title` column | you: copy exports here as they come; overlapping searches are merged |
| `data/raw/corpus/same_works.csv`, `different_works.csv` | your word where the merge of overlapping exports is wrong: records that are one work (`keep,same_as`) or different works (`record,different_from`), each named by DOI or `file:line`; lines starting with `#` are ignored; never read as corpus | you, when the build's warnings ask |
| `data/raw/corpus/searches.csv` | the search itself: database, query, date, records found (one row per search; rows starting with `#` are ignored), or write it as text in `searches.md`; shown on the reports' index, never read as corpus | you |
| `data/raw/openalex/` | a frozen OpenAlex snapshot of the corpus and the works citing it | `peerbib fetch` (never edited afterwards; rerunning asks nothing again) |
| `data/raw/statements/`, `data/raw/tallies/` | citation statements and citation-type counts from other sources (optional) | you, or `peerbib fetch --fulltext` / `--scite-tallies` |
| `data/processed/` | the Parquet tables the notebooks read | `peerbib build` (remade from `data/raw` whenever it changes) |
| `notebooks/` | the analysis notebooks: open them in Jupyter, edit them freely | copied by `peerbib init`; yours from then on |
| `reports/` | HTML reports to share | `peerbib report` |

Steps:

    peerbib fetch      # titles, abstracts, citations from OpenAlex (network; set OPENALEX_API_KEY or --ask-key)
    peerbib report     # builds the tables, runs every notebook, writes reports/index.html

`data/raw` is the study's record: keep it (and this folder's notebooks) under
version control or in your archive; `data/processed/` and `reports/` can
always be made again from it.
"""

_GITIGNORE = """\
# remade from data/raw by peerbib build / peerbib report
data/processed/
reports/
.ipynb_checkpoints/
data/.processed.*.lock
"""


@dataclass
class InitReport:
    """What :func:`init_project` did: paths created, and files kept because they already existed."""

    path: Path
    created: list = field(default_factory=list)
    kept: list = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"created {p}" for p in self.created]
        out += [f"kept {p} (it differs from peerbib's copy; delete it to get the new one)" for p in self.kept]
        return out


def init_project(path=".") -> InitReport:
    """Make (or complete) a peerbib project folder at ``path``.

    Creates ``data/raw/corpus/`` with a template ``searches.csv`` (its header and
    one commented example row: write the search down there) and templates of
    ``same_works.csv`` and ``different_works.csv`` (a header and a comment
    saying how to fill them; as written they merge nothing), ``notebooks/`` with a copy of each notebook
    that ships with peerbib, a ``README.md`` saying what goes where and a
    ``.gitignore`` for the folders peerbib remakes. Nothing that exists is
    overwritten: a notebook you edited is kept (and listed in
    :attr:`InitReport.kept`), so running it again in a project only adds
    what is missing.

    Returns
    -------
    InitReport
        The paths created and kept.

    Raises
    ------
    PeerbibError
        When ``path`` is a file, or a folder cannot be made.
    """
    root = Path(path).expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise PeerbibError(f"{root} is a file: give peerbib init a folder to make or complete")
    result = InitReport(root)
    try:
        for folder in (root / "data" / "raw" / "corpus", root / "notebooks"):
            if not folder.is_dir():
                folder.mkdir(parents=True, exist_ok=True)
                result.created.append(folder)
        for source in sorted(shipped_notebooks().glob("*.ipynb")):
            target = root / "notebooks" / source.name
            if not target.exists():
                atomic_write(target, source.read_bytes())
                result.created.append(target)
            elif not filecmp.cmp(source, target, shallow=False):
                result.kept.append(target)
        for name, text in (("README.md", _README.format(name=root.name)), (".gitignore", _GITIGNORE),
                           ("data/raw/corpus/searches.csv", SEARCHES_TEMPLATE),
                           ("data/raw/corpus/same_works.csv", SAME_WORKS_TEMPLATE),
                           ("data/raw/corpus/different_works.csv", DIFFERENT_WORKS_TEMPLATE)):
            target = root / name
            if not target.exists():
                atomic_write_text(target, text)
                result.created.append(target)
    except OSError as exc:
        raise PeerbibError(f"could not make the project folder {root}: {exc.strerror or exc}") from None
    return result
