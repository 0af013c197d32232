"""The gold corpus of citation statements: openly licensed papers in, coded statements out.

How ``peerbib/statements/data/gold/`` is made, step by step (see its README.md):

    python tools/gold_corpus.py papers  SOURCES_DIR...      # list the papers: DOI, licence, field, split
    python tools/gold_corpus.py extract SOURCES_DIR...      # every citation statement of every paper (the pool)
    python tools/gold_corpus.py sample                       # the random and the candidate sample; coding batches
    python tools/gold_corpus.py assemble                     # two coders' codes + adjudication -> statements.csv

The papers are JATS (PLOS's allofplos starter corpus, eLife's article XML,
PMC open-access articles) and GROBID TEI of CC BY papers, each read with
peerbib's own readers and every bibliography entry taken as cited, so a
statement is exactly what ``peerbib fetch --fulltext`` and ``peerbib build``
give a user. A paper is kept only when its licence is CC BY or CC0.

The work folder (``--work``, default ``gold_work/``) holds the pool, the
batches the coders read, their answers and the key that ties them to the
statements; it is not part of the package (the pool is large and the
batches are a means). What the package ships is the coded statements and
the paper list.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from peerbib.statements.extract import Match, extract_statements  # noqa: E402
from peerbib.statements.jats import read_jats  # noqa: E402
from peerbib.statements.tei import read_tei  # noqa: E402

GOLD = ROOT / "peerbib" / "statements" / "data" / "gold"
PAPERS = GOLD / "papers.csv"
STATEMENTS = GOLD / "statements.csv"
PAPER_COLUMNS = ["paper_id", "file", "doi", "title", "journal", "field", "licence", "licence_url", "source",
                 "reader", "split"]
#: The share of papers held out as the test split, drawn once (seeded) before anything was coded.
TEST_SHARE = 0.22
SEED = 20261202
#: At most this many statements of one paper enter the pool (drawn at random): three systematic reviews
#: and a meta-analysis with 800-1,000 citing sentences each would otherwise be a fifth of it.
MAX_PER_PAPER = 150

_LICENCE_URL = re.compile(r"creativecommons\.org/(licenses/by/[\d.]+(?:/[a-z]{2})?|publicdomain/zero/1\.0)")


# --- papers ---------------------------------------------------------------------------------------


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def jats_paper(path: Path) -> dict | None:
    """DOI, title, journal, subjects and licence of a JATS file (None when it is not CC BY or CC0)."""
    from lxml import etree

    from peerbib.statements.document import xml_parser

    root = etree.fromstring(path.read_bytes(), parser=xml_parser())
    meta = root.find("front/article-meta")
    licence = root.find(".//permissions/license")
    href = ""
    if licence is not None:
        href = next((v for k, v in licence.attrib.items() if k.endswith("href")), "") or ""
    statement = _text(licence)
    found = _LICENCE_URL.search(href) or _LICENCE_URL.search(statement)
    if found:
        kind = found.group(1)
        name = "CC0 1.0" if kind.startswith("publicdomain") else "CC BY " + kind.split("/")[2] + \
            (" " + kind.split("/")[3].upper() if kind.count("/") > 2 else "")
        url = "https://creativecommons.org/" + kind + "/"
    elif "Creative Commons Attribution License" in statement:
        name, url = "CC BY (stated in the article)", ""
    elif "CC0 public domain dedication" in statement or "Creative Commons Public Domain" in statement:
        name, url = "CC0 (stated in the article)", ""
    else:
        return None
    subjects = [_text(s) for s in root.findall(".//article-categories//subj-group/subject")]
    return {
        "doi": _text(meta.find("article-id[@pub-id-type='doi']")).lower() if meta is not None else "",
        "title": _text(meta.find("title-group/article-title")) if meta is not None else "",
        "journal": _text(root.find("front/journal-meta//journal-title")) or _text(
            root.find("front/journal-meta/journal-id")),
        "field": "; ".join(dict.fromkeys(s for s in subjects if s and len(s) < 60))[:200],
        "licence": name, "licence_url": url, "reader": "jats",
        "article_type": root.get("article-type") or "",
    }


def paper_id(doi: str, file: str) -> str:
    return "P" + hashlib.sha1((doi or file).encode()).hexdigest()[:8]


def list_papers(sources: list[Path], provenance: dict[str, str], extra: list[dict]) -> list[dict]:
    rows = []
    for folder in sources:
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".xml", ".nxml") or path.name in _EXCLUDED:
                continue
            info = jats_paper(path)
            if info is None or info["article_type"] in _NOT_RESEARCH:
                continue
            rows.append({"paper_id": paper_id(info["doi"], path.name), "file": f"{folder.name}/{path.name}",
                         "source": provenance.get(f"{folder.name}/{path.name}") or
                         provenance.get(folder.name, folder.name).format(name=path.name),
                         **{k: v for k, v in info.items() if k != "article_type"}})
    rows += extra
    seen = set()
    unique = []
    for row in rows:  # one paper once (a DOI in two sources: the first)
        if row["doi"] and row["doi"] in seen:
            continue
        seen.add(row["doi"])
        unique.append(row)
    before = {row["paper_id"]: row["split"] for row in read_csv(PAPERS)} if PAPERS.is_file() else {}
    if before:
        # A paper keeps the split it was given; a paper added later is drawn on its own (a seeded hash).
        for row in unique:
            row["split"] = before.get(row["paper_id"]) or (
                "test" if int(hashlib.sha1(f"{SEED}|{row['paper_id']}".encode()).hexdigest()[:8], 16) / 16 ** 8
                < TEST_SHARE else "train")
        return sorted(unique, key=lambda r: r["paper_id"])
    rng = random.Random(SEED)
    by_family = defaultdict(list)
    for row in unique:
        by_family[row["file"].split("/")[0] + ":" + (row["journal"] or "")[:20]].append(row)
    for family in sorted(by_family):
        members = sorted(by_family[family], key=lambda r: r["paper_id"])
        rng.shuffle(members)
        n_test = round(TEST_SHARE * len(members) + rng.random() - 0.5)
        for i, row in enumerate(members):
            row["split"] = "test" if i < n_test else "train"
    return sorted(unique, key=lambda r: r["paper_id"])


#: Not papers to code: eLife's made-up "kitchen sink" test articles.
_EXCLUDED = {"elife-kitchen-sink.xml", "elife-00666.xml", "pone.0000000.xml"}  # and PLOS's "sandbox" test article
_NOT_RESEARCH = {"correction", "retraction", "editorial", "book-review", "obituary", "announcement"}


# --- statements -----------------------------------------------------------------------------------


def _label(entry) -> str:
    if entry is None:
        return ""
    return " | ".join([entry.first_author or "", str(entry.year or ""), (entry.title or entry.raw or "")[:160]])


def paper_statements(path: Path, paper: dict) -> list[dict]:
    """Every citation statement of one paper: each sentence, for each bibliography entry it cites."""
    reader = read_tei if paper["reader"] == "tei" else read_jats
    document = reader(path.read_bytes())
    matched = {key: Match(key, "every entry", 1.0) for key in document.bibliography}
    rows, _ = extract_statements(document, None, paper["paper_id"], matched=matched)
    out = []
    for row in rows:
        entry = document.bibliography.get(row["cited_id"])
        out.append({
            "statement_id": row["statement_id"], "paper_id": paper["paper_id"], "cited_key": row["cited_id"],
            "cited": _label(entry), "callout": row["callout"], "section": row["section"],
            "section_heading": row["section_heading"] or "", "location": row["location"],
            "n_cited_in_sentence": row["n_cited_in_sentence"],
            "context_before": row["context_before"] or "", "text": row["text"],
            "context_after": row["context_after"] or "",
        })
    return out


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


# --- the candidate score (sampling only: never a feature, never shown to a coder) -------------------

_COMPARISON = re.compile(
    r"\b(?:consistent|in (?:line|agreement|accordance|keeping)|agree[sd]?|agreement|accord|concordant|confirm\w*|"
    r"corroborat\w*|support\w*|replicat\w*|reproduc\w*|similar\w*|comparable|likewise|as (?:previously|also|in)|"
    r"in contrast|contrast\w*|unlike|contrary|differ\w*|disagree\w*|inconsistent|contradict\w*|conflict\w*|"
    r"discrepan\w*|however|whereas|although|fail\w* to|not (?:find|found|observe|confirm|support|replicate)|"
    r"higher|lower|greater|smaller|larger|stronger|weaker|than|previous(?:ly)? (?:report|found|observ|describ)\w*)\b",
    re.IGNORECASE)
_OWN = re.compile(r"\b(?:we|our|us|here|this (?:study|work|trial|analysis)|the (?:present|current) (?:study|work)|"
                  r"these (?:results|findings|data))\b", re.IGNORECASE)


_DISAGREEMENT = re.compile(r"\b(?:in contrast|contrast\w*|unlike|contrary|disagree\w*|inconsistent|contradict\w*|"
                           r"conflict\w*|discrepan\w*|fail\w* to|not (?:find|found|observe|confirm|support|replicate)|"
                           r"differ\w*|whereas|however)\b", re.IGNORECASE)


def candidate_score(row: dict) -> float:
    """How likely a statement is to compare the citing paper's findings with the cited work's (0: no sign).

    Comparison, agreement and disagreement words in the sentence (disagreement counted twice: it is the
    rarest type), more when the sentence speaks of the paper's own work, most in Results and Discussion.
    """
    text = row["text"]
    cues = len(_COMPARISON.findall(text)) + len(_DISAGREEMENT.findall(text))
    if not cues:
        return 0.0
    own = 1.0 if _OWN.search(text) else 0.3
    section = {"Results": 1.0, "Discussion": 1.0, "Introduction": 0.35, "Methods": 0.2}.get(row["section"], 0.5)
    return min(cues, 4) * own * section


#: Strong signs of disagreement: every statement with one is coded (a census of this stratum), because
#: contrasting statements are rare (about 1.5% of statements) and a sample finds too few of them.
DISAGREEMENT = re.compile(
    r"\b(?:in contrast (?:to|with)|contrary to|unlike|inconsistent with|contradict\w*|conflict\w* with|in conflict|"
    r"disagree\w*|discrepan\w*|at odds|at variance|differ\w* from|different from|"
    r"fail\w* to (?:confirm|replicate|reproduce|find|detect|observe|support)|"
    r"(?:did|do|does|could) not (?:confirm|replicate|reproduce|find|detect|observe|support|see)|"
    r"not (?:consistent|in agreement|in line) with|opposite|challenge\w*|argue against|contrast\w*)\b",
    re.IGNORECASE)


#: Sizes of the two samples (expected: each statement is drawn independently, with a known probability).
RANDOM_SIZE = 2400
CANDIDATE_SIZE = 2400


def sampling_rates(pool: list[dict]) -> dict:
    """The two samples' rates, fixed once on the first pool: ``p_random`` for every statement, and ``scale``,
    the candidate probability per point of candidate score, so that the expected sizes are RANDOM_SIZE and
    CANDIDATE_SIZE. Papers added later are drawn at the same rates."""
    scores = [candidate_score(row) for row in pool]
    low, high = 0.0, 100.0
    for _ in range(60):
        middle = (low + high) / 2
        if sum(min(1.0, middle * s) for s in scores) < CANDIDATE_SIZE:
            low = middle
        else:
            high = middle
    return {"p_random": min(1.0, RANDOM_SIZE / len(pool)), "scale": high, "pool": len(pool), "seed": SEED}


def draw_samples(pool: list[dict], rates: dict, seed: int) -> list[dict]:
    """The random and the candidate sample, each statement drawn independently with a known probability.

    Random: every statement with probability ``p_random``. Candidate: each statement with probability
    ``scale`` x its candidate score (at most 1). A statement can be in both. ``inclusion`` is the
    probability it was drawn at all, so that weighting by 1 / inclusion estimates figures for all
    statements (Horvitz-Thompson).
    """
    rng = random.Random(seed)
    drawn = []
    for row in pool:
        score = candidate_score(row)
        p_random, p_candidate = rates["p_random"], min(1.0, rates["scale"] * score)
        in_random = rng.random() < p_random
        in_candidate = rng.random() < p_candidate
        in_census = bool(rates.get("disagreement_census")) and bool(DISAGREEMENT.search(row["text"]))
        if in_random or in_candidate or in_census:
            inclusion = 1.0 if in_census else 1 - (1 - p_random) * (1 - p_candidate)
            drawn.append({**row, "sample": _sample_name(in_random, in_candidate, in_census),
                          "candidate_score": round(score, 3), "p_random": round(p_random, 6),
                          "p_candidate": round(p_candidate, 6), "inclusion": round(inclusion, 6)})
    return drawn


def _sample_name(in_random: bool, in_candidate: bool, in_census: bool) -> str:
    return "+".join(name for name, kept in (("random", in_random), ("candidate", in_candidate),
                                            ("disagreement", in_census)) if kept)


def command_census(args) -> int:
    """Add the disagreement census: every statement of the pool with a strong sign of disagreement, and the
    ones already drawn marked as in it too (their probability of being drawn is 1 now)."""
    work = Path(args.work)
    pool = read_csv(work / "pool.csv")
    rates = json.loads((work / "sampling.json").read_text(encoding="utf-8"))
    key = read_csv(work / "key.csv")
    have = {row["statement_id"]: row for row in key}
    for row in key:
        if DISAGREEMENT.search(row["text"]) and "disagreement" not in row["sample"]:
            row["sample"] += "+disagreement"
            row["inclusion"] = 1.0
    new = [{**row, "sample": "disagreement", "candidate_score": round(candidate_score(row), 3),
            "p_random": 0.0, "p_candidate": 0.0, "inclusion": 1.0}
           for row in pool if row["statement_id"] not in have and DISAGREEMENT.search(row["text"])
           and row["paper_id"] in set(rates.get("papers_drawn", []))]
    for row in new:  # not drawn by the other samples: what they would have drawn it with is still known
        row["p_random"] = round(rates["p_random"], 6)
        row["p_candidate"] = round(min(1.0, rates["scale"] * candidate_score(row)), 6)
    random.Random(SEED + 77).shuffle(new)
    for i, row in enumerate(new, len(key) + 1):
        row["item"] = f"S{i:05d}"
    rates["disagreement_census"] = True
    (work / "sampling.json").write_text(json.dumps(rates, indent=1) + "\n", encoding="utf-8")
    write_csv(work / "key.csv", key + new, list(key[0]))
    batch = max(int(p.stem.split("_")[1]) for p in (work / "batches").glob("batch_*.txt")) + 1
    (work / "batches" / f"batch_{batch:02d}.txt").write_text(batch_text(new), encoding="utf-8")
    print(f"disagreement census: {len(new)} new statements -> batch {batch}; "
          f"{sum('disagreement' in r['sample'] for r in key)} already drawn")
    return 0


def batch_text(items: list[dict]) -> str:
    """What a coder reads: each statement with its context, section and the cited work; nothing else."""
    blocks = []
    for item in items:
        cited = item["cited"].replace(" | ", "; ").strip("; ") or "(not given)"
        others = int(item["n_cited_in_sentence"] or 1) - 1
        blocks.append("\n".join([
            f"### {item['item']}",
            f"section: {item['section']}" + (f" (heading: {item['section_heading']})" if item["section_heading"] else ""),
            f"cited work: {cited}",
            f"callout as printed: {item['callout']}" + (f" (the sentence cites {others} other work"
                                                      f"{'s' if others != 1 else ''} too)" if others > 0 else ""),
            f"before: {item['context_before'] or '(start of paragraph)'}",
            f"SENTENCE: {item['text']}",
            f"after: {item['context_after'] or '(end of paragraph)'}",
        ]))
    return "\n\n".join(blocks) + "\n"


def command_sample(args) -> int:
    """Draw the samples from the pool and write coding batches. With ``--add``, draw from the statements of
    papers not drawn from yet, at the rates fixed by the first draw, into new batches."""
    work = Path(args.work)
    pool = read_csv(work / "pool.csv")
    rates_path = work / "sampling.json"
    key_path = work / "key.csv"
    if args.add:
        rates = json.loads(rates_path.read_text(encoding="utf-8"))
        key = read_csv(key_path)
        done = {row["paper_id"] for row in key} | set(rates.get("papers_drawn", []))
        pool = [row for row in pool if row["paper_id"] not in done]
        first_item = len(key) + 1
        first_batch = max(int(p.stem.split("_")[1]) for p in (work / "batches").glob("batch_*.txt")) + 1
    else:
        rates = sampling_rates(pool)
        key, first_item, first_batch = [], 1, 1
    seed = SEED + 1 + first_batch
    drawn = draw_samples(pool, rates, seed)
    random.Random(seed + 1).shuffle(drawn)  # random and candidate statements mixed: a coder cannot tell them apart
    for i, row in enumerate(drawn, first_item):
        row["item"] = f"S{i:05d}"
    rates["papers_drawn"] = sorted(set(rates.get("papers_drawn", [])) | {row["paper_id"] for row in pool})
    rates_path.write_text(json.dumps(rates, indent=1) + "\n", encoding="utf-8")
    write_csv(key_path, key + drawn, list(drawn[0]))
    n_batches = args.batches or max(1, round(len(drawn) / 600))
    size = -(-len(drawn) // n_batches)
    (work / "batches").mkdir(exist_ok=True)
    for b in range(n_batches):
        part = drawn[b * size:(b + 1) * size]
        (work / "batches" / f"batch_{first_batch + b:02d}.txt").write_text(batch_text(part), encoding="utf-8")
    counts = Counter(row["sample"] for row in drawn)
    print(f"{len(drawn)} statements drawn from {len(pool)} ({dict(counts)}) -> {key_path} and batches "
          f"{first_batch}-{first_batch + n_batches - 1}")
    return 0


# --- commands -------------------------------------------------------------------------------------


def _sources(args) -> list[Path]:
    return [Path(p) for p in args.sources]


def command_papers(args) -> int:
    provenance = json.loads(Path(args.provenance).read_text(encoding="utf-8")) if args.provenance else {}
    extra = read_csv(Path(args.extra)) if args.extra else []
    rows = list_papers(_sources(args), provenance, extra)
    write_csv(PAPERS, rows, PAPER_COLUMNS)
    counts = Counter(r["split"] for r in rows)
    print(f"{len(rows)} papers -> {PAPERS} ({dict(counts)})")
    return 0


def command_extract(args) -> int:
    papers = read_csv(PAPERS)
    folders = {p.name: p for p in _sources(args)}
    pool = []
    for paper in papers:
        folder, name = paper["file"].split("/", 1)
        statements = paper_statements(folders[folder] / name, paper)
        if len(statements) > MAX_PER_PAPER:  # the same statements whatever else the pool holds
            statements = random.Random(f"{SEED}|{paper['paper_id']}").sample(statements, MAX_PER_PAPER)
        pool += statements
    columns = list(pool[0])
    write_csv(Path(args.work) / "pool.csv", pool, columns)
    by_section = Counter(r["section"] for r in pool)
    print(f"{len(pool)} statements from {len({r['paper_id'] for r in pool})} papers -> {args.work}/pool.csv; "
          f"{dict(by_section)}")
    return 0


CODES = ("supporting", "mentioning", "contrasting", "unclassified")


def _batch_name(batch) -> str:
    return f"{int(batch):02d}" if str(batch).isdigit() else str(batch)


def _blocks(work: Path, batch) -> list[str]:
    name = "adjudication.txt" if batch == "adjudication" else f"batch_{_batch_name(batch)}.txt"
    text = (work / "batches" / name).read_text(encoding="utf-8")
    return [block for block in text.split("\n\n") if block.startswith("### ")]


def command_show(args) -> int:
    """Print statements of a batch for a coder (``--start`` counts from 0)."""
    blocks = _blocks(Path(args.work), args.batch)
    print("\n\n".join(blocks[args.start:args.start + args.count]))
    print(f"\n[{min(len(blocks), args.start + args.count)} of {len(blocks)} statements of batch {args.batch} shown]")
    return 0


def read_answers(path: Path) -> dict[str, str]:
    answers = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.strip().split("\t")
            if len(parts) >= 2 and parts[0].startswith("S"):
                answers[parts[0]] = parts[1].strip().lower()
    return answers


def command_check(args) -> int:
    """Say which statements of a batch a coder has not coded yet, and which codes are not valid."""
    work = Path(args.work)
    wanted = [block.split("\n", 1)[0][4:].strip() for block in _blocks(work, args.batch)]
    answers = read_answers(work / "answers" / (f"{args.coder}.tsv" if args.batch == "adjudication"
                                               else f"{args.coder}_batch_{_batch_name(args.batch)}.tsv"))
    missing = [item for item in wanted if item not in answers]
    invalid = [f"{item}={code}" for item, code in answers.items() if code not in CODES]
    print(f"batch {args.batch}, coder {args.coder}: {len(wanted) - len(missing)} of {len(wanted)} coded; "
          f"{Counter(answers.values())}")
    if missing:
        print("not coded yet: " + " ".join(missing[:50]) + (" …" if len(missing) > 50 else ""))
    if invalid:
        print("not a code: " + " ".join(invalid[:50]))
    return 1 if missing or invalid else 0


def _codes(work: Path, coder: str) -> dict[str, str]:
    codes = {}
    for path in sorted((work / "answers").glob(f"{coder}_batch_*.tsv")):
        codes.update(read_answers(path))
    return codes


def command_adjudication(args) -> int:
    """Write the statements the two coders coded differently, with both codes (in random order, unnamed),
    for the adjudicator; the agreed ones need none."""
    work = Path(args.work)
    key = read_csv(work / "key.csv")
    a, b = _codes(work, "A"), _codes(work, "B")
    missing = [row["item"] for row in key if row["item"] not in a or row["item"] not in b]
    if missing:
        print(f"{len(missing)} statements are not coded by both coders yet (e.g. {missing[:5]})")
        return 1
    rng = random.Random(SEED + 99)
    blocks = []
    for row in key:
        if a[row["item"]] == b[row["item"]]:
            continue
        codes = [a[row["item"]], b[row["item"]]]
        rng.shuffle(codes)
        blocks.append(batch_text([row]).rstrip("\n") + f"\nthe two codes given: {codes[0]} / {codes[1]}")
    (work / "batches" / "adjudication.txt").write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    print(f"{len(blocks)} statements to adjudicate -> {work}/batches/adjudication.txt")
    return 0


STATEMENT_COLUMNS = ["statement_id", "paper_id", "doi", "licence", "source", "split", "sample", "inclusion",
                     "candidate_score", "cited_key", "cited",
                     "callout", "section", "section_heading", "location", "n_cited_in_sentence", "context_before",
                     "text", "context_after", "coder_a", "coder_b", "code", "adjudicated"]


def command_assemble(args) -> int:
    """The coded statements: both coders' codes, the adjudicated one where they differ -> statements.csv."""
    from sklearn.metrics import cohen_kappa_score

    work = Path(args.work)
    key = read_csv(work / "key.csv")
    a, b = _codes(work, "A"), _codes(work, "B")
    adjudicated = read_answers(work / "answers" / "ADJ.tsv")
    rows, missing = [], []
    for row in key:
        item = row["item"]
        if item not in a or item not in b:
            missing.append(item)
            continue
        agreed = a[item] == b[item]
        if not agreed and item not in adjudicated:
            missing.append(item)
            continue
        rows.append({**row, "coder_a": a[item], "coder_b": b[item], "code": a[item] if agreed else adjudicated[item],
                     "adjudicated": "" if agreed else "yes"})
    if missing:
        print(f"{len(missing)} statements lack a code or an adjudication (e.g. {missing[:5]}); nothing written")
        return 1
    papers = {row["paper_id"]: row for row in read_csv(PAPERS)}
    for row in rows:  # each statement says its paper's DOI, licence and source (and split) itself
        paper = papers[row["paper_id"]]
        row.update(doi=paper["doi"], licence=paper["licence"], source=paper["source"], split=paper["split"])
    rows.sort(key=lambda r: (r["paper_id"], r["statement_id"]))
    write_csv(STATEMENTS, rows, STATEMENT_COLUMNS)
    stats = corpus_stats(rows, papers)
    (work / "stats.json").write_text(json.dumps(stats, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(stats, indent=1))
    return 0


def corpus_stats(rows: list[dict], papers: dict) -> dict:
    """Size, codes, agreement (kappa overall and per class, as class against the rest), by split and sample."""
    from sklearn.metrics import cohen_kappa_score

    x, y = [r["coder_a"] for r in rows], [r["coder_b"] for r in rows]
    per_class = {}
    for code in ("supporting", "mentioning", "contrasting"):
        per_class[code] = round(float(cohen_kappa_score([c == code for c in x], [c == code for c in y])), 3)
    used = {r["paper_id"] for r in rows}
    return {
        "statements": len(rows), "papers": len(used),
        "papers_by_split": dict(Counter(papers[p]["split"] for p in used)),
        "statements_by_split": dict(Counter(r["split"] for r in rows)),
        "codes": dict(Counter(r["code"] for r in rows)),
        "codes_by_split": {split: dict(Counter(r["code"] for r in rows if r["split"] == split))
                           for split in ("train", "test")},
        "samples": {name: dict(Counter(r["code"] for r in rows if name in r["sample"]))
                    for name in ("random", "candidate", "disagreement")},
        "kappa": round(float(cohen_kappa_score(x, y)), 3), "kappa_per_class": per_class,
        "agreement": round(sum(a == b for a, b in zip(x, y)) / len(rows), 4),
        "adjudicated": sum(1 for r in rows if r["adjudicated"]),
        "licences": dict(Counter(papers[p]["licence"] for p in used)),
        "sources": dict(Counter(papers[p]["source"].split(":")[0] for p in used)),
        "journals": dict(Counter(papers[p]["journal"] for p in used).most_common(15)),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", default="gold_work", help="the work folder (pool, batches, answers)")
    commands = parser.add_subparsers(dest="command", required=True)
    papers = commands.add_parser("papers")
    papers.add_argument("sources", nargs="+")
    papers.add_argument("--provenance", help="JSON: source folder name (or folder/file) -> 'repo:path@commit' "
                                             "({name} = the file's name)")
    papers.add_argument("--extra", help="CSV of further papers (TEI), with the paper columns")
    papers.set_defaults(run=command_papers)
    extract = commands.add_parser("extract")
    extract.add_argument("sources", nargs="+")
    extract.set_defaults(run=command_extract)
    sample = commands.add_parser("sample")
    sample.add_argument("--add", action="store_true", help="draw from papers added since, at the same rates")
    sample.add_argument("--batches", type=int, help="how many batches (default: about 600 statements each)")
    sample.set_defaults(run=command_sample)
    show = commands.add_parser("show")
    show.add_argument("--batch", required=True, help="a batch number, or 'adjudication'")
    show.add_argument("--start", type=int, default=0)
    show.add_argument("--count", type=int, default=40)
    show.set_defaults(run=command_show)
    check = commands.add_parser("check")
    check.add_argument("--batch", required=True, help="a batch number, or 'adjudication'")
    check.add_argument("--coder", required=True)
    check.set_defaults(run=command_check)
    commands.add_parser("census").set_defaults(run=command_census)
    commands.add_parser("adjudication").set_defaults(run=command_adjudication)
    commands.add_parser("assemble").set_defaults(run=command_assemble)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
