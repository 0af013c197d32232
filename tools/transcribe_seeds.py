"""Transcribe the seed documents (tests/fixtures/seeds, copies of ../shared/seeds) into data/raw/.

This is how data/raw/corpus/seed_corpus.csv, data/raw/statements/
seed_statements.csv and data/raw/tallies/seed_tallies.csv were made. Every
value is cut from a line of a seed document; the few readings that needed a
decision are written in ``notes`` and explained in data/raw/README.md.
Nothing is looked up elsewhere and nothing is invented: what a page does not
show stays empty.

Run from the repository root:  python tools/transcribe_seeds.py [SEEDS_DIR]
It refuses to overwrite files whose content would change unless --force is
given, because data/raw is input data that code must not silently edit.
"""
from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SEEDS = ROOT / "tests" / "fixtures" / "seeds"

SCITE = "000_911e5b077376d86a.txt"
BMC = "001_5086652c5b7efdaf.txt"
EMERALD = "002_795947a0cff24da2.txt"
SCIENCEOPEN = "003_965e250b65df1b35.txt"
REPOSITORY = "004_35a390a50d26f5a0.txt"

CORPUS_COLUMNS = [
    "doi", "title", "authors", "publication_year", "publication_date", "venue",
    "volume_issue", "type", "type_as_shown", "abstract", "abstract_truncated",
    "referenced_by", "seed_file", "seed_line", "seed_role", "notes",
]
STATEMENT_COLUMNS = [
    "cited_doi", "citing_doi", "text", "section_as_shown", "type", "confidence",
    "classifier", "source", "seed_file", "seed_line", "notes",
]
TALLY_COLUMNS = [
    "cited_doi", "supporting", "mentioning", "contrasting", "unclassified",
    "citing_publications", "citation_statements", "source", "seed_file",
    "seed_line", "notes",
]

MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"], start=1)}


class Seed:
    """A seed document's lines, 1-based, as they are in the file."""

    def __init__(self, folder: Path, name: str):
        self.name = name
        self.lines = (folder / name).read_text(encoding="utf-8").split("\n")

    def __getitem__(self, number: int) -> str:
        if not 1 <= number <= len(self.lines):
            return ""
        # Pages use no-break spaces inside names ("Steve\xa0G\xa0Gillard"):
        # plain spaces keep the words and make the text searchable.
        return self.lines[number - 1].replace("\xa0", " ").strip()

    def find(self, text: str, start: int = 1) -> int:
        for number in range(start, len(self.lines) + 1):
            if text in self.lines[number - 1]:
                return number
        raise LookupError(f"{self.name}: {text!r} not found after line {start}")


def row(**values) -> dict:
    return {column: values.get(column, "") for column in CORPUS_COLUMNS}


def split_names(text: str) -> str:
    """'A B, C D and E F' -> 'A B; C D; E F'."""
    parts = re.split(r",\s+|\s+and\s+", text)
    return "; ".join(p.strip() for p in parts if p.strip())


def split_citation_names(text: str) -> str:
    """'Holley, J., Weaver, T. and Völlm, B.' -> 'Holley, J.; Weaver, T.; Völlm, B.'."""
    parts = re.split(r"(?<=\.),\s+|\s+and\s+", text)
    return "; ".join(p.strip() for p in parts if p.strip())


def iso_date(text: str) -> str:
    day, month, year = text.split()
    return f"{int(year):04d}-{MONTHS[month.lower()]:02d}-{int(day):02d}"


# --- 000: scite report page ---------------------------------------------------


def scite_page(seed: Seed):
    doi = seed[2].removeprefix("DOI:").strip()
    title_line = 8
    abstract = seed[10].removeprefix("Abstract:").strip()
    # The page cuts the abstract and offers "Show more": keep what it shows.
    abstract = abstract.removesuffix("Show more").strip()
    work = row(
        doi=doi, title=seed[title_line], publication_year=seed[1], abstract=abstract,
        abstract_truncated="true", seed_file=seed.name, seed_line=title_line,
        seed_role="main work",
        notes="scite report page; shows no authors, venue or type",
    )
    statements, seen = [], {}
    number = 65
    while number <= len(seed.lines) and seed[number].startswith("“"):
        text = seed[number].removeprefix("“").removesuffix("”")
        section_line = seed[number + 1]
        match = re.fullmatch(r"Section: (.+?)(supporting|mentioning|contrasting)", section_line)
        confidence = re.fullmatch(r"confidence: (\d+)%", seed[number + 2]).group(1)
        key = (text, match.group(1), match.group(2), confidence)
        step = 3
        if seed[number + 3].startswith("See ") and "Smart Citation" in seed[number + 3]:
            step = 4
        if key in seen:
            seen[key]["notes"] += f"; shown again on line {number}, kept once"
        else:
            statement = {
                "cited_doi": doi, "citing_doi": "", "text": text,
                "section_as_shown": match.group(1), "type": match.group(2),
                "confidence": f"{int(confidence) / 100:.2f}",
                "classifier": "scite (as shown on the page)",
                "source": "scite", "seed_file": seed.name, "seed_line": number,
                "notes": "the page does not name the citing publication",
            }
            seen[key] = statement
            statements.append(statement)
        number += step
    cited_line = seed.find("Cited by ")
    publications = re.search(r"Cited by (\d+) publications", seed[cited_line]).group(1)
    n_statements = re.search(r"\((\d+) citation statements\)", seed[cited_line + 1]).group(1)
    types_line = seed.find("Citation Types") + 2
    counts = [seed[types_line + i] for i in range(4)]
    tally = {
        "cited_doi": doi, "supporting": counts[0], "mentioning": counts[1],
        "contrasting": counts[2], "unclassified": counts[3],
        "citing_publications": publications, "citation_statements": n_statements,
        "source": "scite", "seed_file": seed.name, "seed_line": types_line,
        "notes": (
            f"page shows the Citation Types counts {' '.join(counts)} without labels (lines "
            f"{types_line}-{types_line + 3}, repeated on lines {seed.find('references') + 2}-"
            f"{seed.find('references') + 5}); read in scite's order supporting, mentioning, "
            f"contrasting, unclassified; their sum is {sum(map(int, counts))} against "
            f"{n_statements} citation statements (line {cited_line + 1})"
        ),
    }
    return [work], statements, [tally]


# --- 001: BMC Health Services Research article page --------------------------


BMC_DOWNLOAD_BLURB = " - Download this document for free, or read online. Document in PDF available to download."


def bmc_page(seed: Seed):
    title_line = 3  # line 1 repeats the title with the site's "Report as inadecuate" appended
    venue = seed[5]
    volume = seed[7].lstrip(", ").strip()
    parts = []
    for heading in ("Background", "Methods", "Results", "Conclusions"):
        number = next(n for n in range(11, 20) if seed[n].startswith(heading))
        # The page runs each heading into its paragraph ("BackgroundThe ..."):
        # a line break between them restores the structure without changing words.
        parts.append(heading + "\n" + seed[number][len(heading):])
    doi_line = seed.find("doi:10.1186")
    shown = re.search(r"doi:(\S+)", seed[doi_line]).group(1)
    # The page prints the DOI with "-" where the "/" belongs: 10.1186-1472-...
    doi = re.sub(r"^(10\.\d{4,9})-", r"\1/", shown)
    authors_line = seed.find("Author: ")
    authors = "; ".join(a.strip() for a in seed[authors_line].removeprefix("Author:").split(" - "))
    # Line 3 runs the site's download blurb into the title; line 1 runs its
    # "Report as inadecuate" link into it. The title is what both lines share.
    title = seed[title_line].removesuffix(BMC_DOWNLOAD_BLURB)
    if title == seed[title_line] or seed[1].removesuffix("Report as inadecuate") != title:
        raise ValueError(f"{seed.name}:{title_line}: the title lines no longer read as expected")
    return [row(
        doi=doi, title=title, authors=authors, publication_year="2013",
        venue=venue, volume_issue=volume, abstract="\n\n".join(parts),
        abstract_truncated="false", seed_file=seed.name, seed_line=title_line,
        seed_role="main work",
        notes=(
            "title without the site's download blurb that follows it on the line; "
            f"DOI shown as {shown} (line {doi_line}), read with '/' after the prefix; "
            "year not printed on the page: 2013 from volume 13 (BMC Health Services Research "
            "volume n is year 2000+n) and PRODUCT.md's 'Gillard et al. 2013'; type not shown"
        ),
    )]


# --- 002: Emerald search listing -----------------------------------------------


def emerald_listing(seed: Seed):
    works = []
    starts = [n for n in range(1, len(seed.lines)) if seed[n] in ("Article", "Book part")
              and seed[n + 1].startswith("Publication date:")]
    ends = starts[1:] + [len(seed.lines)]
    for start, end in zip(starts, ends):
        block = [n for n in range(start, end) if seed[n]]
        date = iso_date(seed[block[1]].removeprefix("Publication date:").strip())
        authors = split_names(seed[block[2]])
        teaser = seed[block[3]]
        after_teaser = block[4]
        unlabeled = seed[after_teaser] if seed[after_teaser].isdigit() else ""
        abstract_at = next(n for n in block if seed[n] == "Abstract")
        # One result (Jackson and Fong 2017) has no Details block: no venue, no Type line.
        details_at = next((n for n in block if seed[n] == "Details"), None)
        abstract_end = details_at if details_at is not None else block[-1] + 1
        paragraphs, heading = [], None
        for n in (n for n in block if abstract_at < n < abstract_end):
            text = seed[n]
            if heading is None and _is_emerald_heading(text):
                heading = text
                continue
            paragraphs.append(f"{heading}\n{text}" if heading else text)
            heading = None
        venue, volume, type_shown = "", "", ""
        if details_at is not None:
            venue, _, volume = seed[details_at + 2].partition(", vol. ")
            type_line = next(n for n in block if seed[n].startswith("Type:"))
            type_shown = seed[type_line].removeprefix("Type:").strip()
        kind = seed[start]
        notes = ["the listing shows no title and no DOI"]
        if details_at is None:
            notes.append("no Details block: venue and Type not shown")
        if unlabeled:
            notes.append(f"an unlabeled number {unlabeled} stands under the teaser (line {after_teaser})")
        if not teaser.endswith("…"):
            notes.append("teaser not truncated")
        isbn = next((seed[n] for n in block if seed[n].startswith("ISBN:")), "")
        if isbn:
            notes.append(isbn)
        works.append(row(
            authors=authors, publication_year=date[:4], publication_date=date,
            venue=venue, volume_issue=("vol. " + volume) if volume else "",
            type="book-chapter" if kind == "Book part" else "article",
            type_as_shown=f"{kind}; Type: {type_shown}" if type_shown else kind,
            abstract="\n\n".join(paragraphs), abstract_truncated="false",
            seed_file=seed.name, seed_line=start, seed_role="search result",
            notes="; ".join(notes),
        ))
    return works


_EMERALD_HEADINGS = {
    "Purpose", "Design/methodology/approach", "Findings", "Originality/value",
    "Research limitations/implications", "Social implications", "Practical implications",
}


def _is_emerald_heading(text: str) -> bool:
    return text in _EMERALD_HEADINGS


# --- 003: ScienceOpen record ---------------------------------------------------


def scienceopen_page(seed: Seed):
    title_line = 14
    abstract_at = seed.find("Abstract", title_line)
    end = seed.find("Related collections", abstract_at)
    paragraphs, heading = [], None
    for n in range(abstract_at + 1, end):
        text = seed[n]
        if not text:
            continue
        if heading is None:
            heading = text
        else:
            paragraphs.append(f"{heading}\n{text}")
            heading = None
    doi_line = next(n for n in range(1, len(seed.lines)) if re.fullmatch(r"10\.1111/hex\.\d+", seed[n]))
    doi = seed[doi_line]
    online_line = seed.find("12 December 2020")
    issue_line = online_line + 1
    journal_line = seed.find("Health Expectations :")
    venue = seed[journal_line].split(" : ")[0]
    author_line = seed.find("Timothy Moore,")
    main = row(
        doi=doi, title=seed[title_line], authors=seed[author_line].split(",")[0],
        publication_year=seed[issue_line].split()[-1], publication_date=iso_date(seed[online_line]),
        venue=venue,
        volume_issue=f"vol. {seed[issue_line + 1].lstrip(': ')} no. {seed[issue_line + 2].lstrip(': ').split()[0]}, "
                     f"pp. {seed[issue_line + 3].lstrip(': ')}",
        type="article", type_as_shown=seed[title_line + 2],
        abstract="\n\n".join(paragraphs), abstract_truncated="false",
        seed_file=seed.name, seed_line=title_line, seed_role="main work",
        notes=(
            f"published online {seed[online_line]} (line {online_line}), in the {seed[issue_line]} issue "
            f"(line {issue_line}): publication_year is the issue year; the page names only the "
            f"corresponding author (line {author_line}), other contributors by role only"
        ),
    )
    references = []
    berger_title = seed.find("Now I see it")
    berger = re.fullmatch(r"(.+) \((\d{4})\)", seed[berger_title + 2])
    references.append(row(
        title=seed[berger_title], authors=berger.group(1), publication_year=berger.group(2),
        referenced_by=doi, seed_file=seed.name, seed_line=berger_title, seed_role="reference",
        notes="listed under 'Most cited references'; abstract not found on the page",
    ))
    review = seed.find("A review of the literature on peer support")
    references.append(row(
        title=seed[review], abstract=seed[review + 2], abstract_truncated="false",
        referenced_by=doi, seed_file=seed.name, seed_line=review, seed_role="reference",
        notes="listed under 'Most cited references'; the page shows no authors or year",
    ))
    update = seed.find("An update on the growing evidence base")
    references.append(row(
        title=seed[update], referenced_by=doi, seed_file=seed.name, seed_line=update,
        seed_role="reference",
        notes="listed under 'Most cited references'; the page shows no authors, year or abstract",
    ))
    return [main] + references


# --- 004: institutional repository record --------------------------------------


CITATION = re.compile(
    r"^(?P<authors>.+?) (?P<year>\d{4})\. (?P<rest>.+?)(?: (?P<url>https://doi\.org/\S+))?$"
)


def repository_page(seed: Seed):
    title_line = 8
    title = seed[title_line].removeprefix("Title")
    doi_line = seed.find("Digital Object Identifier (DOI)")
    doi = seed[doi_line].split("https://doi.org/")[1]
    print_line = seed.find("Print")
    month, year = seed[print_line].removeprefix("Print").split()
    main = row(
        doi=doi, title=title,
        authors=split_citation_names(seed[title_line + 1].removeprefix("Authors")),
        publication_year=year, publication_date=f"{year}-{MONTHS_SHORT[month]:02d}",
        venue=seed[seed.find("Journal")].removeprefix("Journal"),
        volume_issue=_volume(seed[6], title, seed[seed.find("Journal")].removeprefix("Journal")),
        type="article", type_as_shown=seed[title_line - 1].removeprefix("Type"),
        abstract=seed[seed.find("Abstract") + 2], abstract_truncated="false",
        seed_file=seed.name, seed_line=title_line, seed_role="main work",
        notes=f"print {month} {year} (line {print_line}); online {seed[print_line + 1].removeprefix('Online')} "
              f"(line {print_line + 1}): publication_year is the print year",
    )
    works = [main]
    related_at = seed.find("Related outputs")
    number = related_at + 1
    while number < len(seed.lines):
        if not seed[number]:
            number += 1
            continue
        title = seed[number]
        citation = CITATION.match(seed[number + 1])
        rest = citation.group("rest")
        if not rest.startswith(title):
            raise ValueError(f"{seed.name}:{number + 1}: citation does not repeat the title on line {number}")
        venue = rest[len(title):].lstrip(". ").split(". ")[0].rstrip(".")
        notes = "listed under 'Related outputs'; type not shown"
        url = citation.group("url") or ""
        if citation.group("year") == "1999" and "2010" in url:
            notes += "; the page gives year 1999 while the DOI contains 2010: year kept as shown"
        works.append(row(
            doi=url.removeprefix("https://doi.org/"), title=title,
            authors=split_citation_names(citation.group("authors")),
            publication_year=citation.group("year"), venue=venue,
            volume_issue=_volume(seed[number + 1], title, venue),
            seed_file=seed.name, seed_line=number, seed_role="related output", notes=notes,
        ))
        number += 2
    return works


MONTHS_SHORT = {m[:3].title(): i for m, i in MONTHS.items()}


def _volume(citation: str, title: str, venue: str) -> str:
    after = citation.split(title, 1)[1].lstrip(". ")
    after = after[len(venue):].lstrip(". ") if after.startswith(venue) else after
    after = after.split("https://", 1)[0].strip().rstrip(".")
    return after


# --- writing -----------------------------------------------------------------


def render(rows: list[dict], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def transcribe(seeds: Path) -> dict[str, str]:
    corpus, statements, tallies = [], [], []
    works, found_statements, found_tallies = scite_page(Seed(seeds, SCITE))
    corpus += works
    statements += found_statements
    tallies += found_tallies
    corpus += bmc_page(Seed(seeds, BMC))
    corpus += emerald_listing(Seed(seeds, EMERALD))
    corpus += scienceopen_page(Seed(seeds, SCIENCEOPEN))
    corpus += repository_page(Seed(seeds, REPOSITORY))
    return {
        "corpus/seed_corpus.csv": render(corpus, CORPUS_COLUMNS),
        "statements/seed_statements.csv": render(statements, STATEMENT_COLUMNS),
        "tallies/seed_tallies.csv": render(tallies, TALLY_COLUMNS),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("seeds", nargs="?", type=Path, default=DEFAULT_SEEDS)
    parser.add_argument("--raw", type=Path, default=ROOT / "data" / "raw")
    parser.add_argument("--force", action="store_true", help="overwrite files whose content changes")
    parser.add_argument("--check", action="store_true", help="only report whether the files are up to date")
    args = parser.parse_args(argv)
    outputs = transcribe(args.seeds)
    stale = []
    for name, text in outputs.items():
        target = args.raw / name
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if args.check:
            continue
        if target.exists() and not args.force:
            print(f"{target} differs from a fresh transcription; rerun with --force to replace it", file=sys.stderr)
            return 1
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    if args.check and stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
