"""Authors with their institutions and countries, as database exports write them, read into authorship rows.

- **Web of Science**: ``C1`` gives one address a line, since 2008 after the authors it belongs to
  (``[Camison, Cesar; Fores, Beatriz] Univ Jaume 1, Dept Business Adm & Mkt, E-12071 Castellon, Spain.``);
  the organisation comes first. ``RP`` names the corresponding (before 2019 "reprint") authors:
  ``Fores, B (corresponding author), Univ Jaume 1, …``, several joined by "; ". Addresses older exports do
  not tie to authors are given to every author of the work: the work's institutions and countries are then
  right, each author's are the work's.
- **Scopus**: "Authors with affiliations" joins ``Author, affiliation`` entries with "; " (an author with
  two affiliations has them joined by ", ", told apart with the "Affiliations" column, which lists each
  once); "Correspondence Address" starts with the corresponding author's name.
- **PubMed**: each author's ``AD`` lines follow the author's ``FAU``/``AU`` line.

:func:`authorship_rows` reads the bundle a corpus reader keeps (:func:`wos_bundle`, :func:`scopus_bundle`,
:func:`pubmed_bundle`: JSON text in the corpus column ``affiliations_raw``) into one row per author:
``position`` (from 0), ``author_id`` (the name key of :func:`~peerbib.corpus.names.name_key`),
``author_name``, ``institution_ids`` (name keys), ``institution_names``, ``country_codes`` (ISO 3166-1
alpha-2, see :mod:`.countries`), each list joined by "; ", and ``is_corresponding`` (None when the export
does not say).
"""
from __future__ import annotations

import json
import re

from .countries import country_code
from .names import name_key, plain

__all__ = ["authorship_rows", "wos_bundle", "scopus_bundle", "pubmed_bundle", "institution_name",
           "bundle_size"]

_UNIVERSITY = re.compile(r"univ|hochschule|[ée]cole|politecn|polytechn|\bucl\b", re.IGNORECASE)
_ORGANISATION = re.compile(
    r"institut|academ|\bcnrs\b|\binserm\b|council|laborator|\bcent(?:re|er)\b|\bctr\b|hospital|\bhosp\b|clinic|"
    r"foundation|\bfdn\b|college|\bcoll\b|school|ministry|agency|corporation|company|\binc\b|\bltd\b|gmbh|trust|"
    r"\bnhs\b|\bresearch\b", re.IGNORECASE)
_EMAIL = re.compile(r"(?:;?\s*(?:electronic address|email)\s*:?\s*)?\S+@\S+", re.IGNORECASE)


def institution_name(address: str, *, first: bool = False) -> str | None:
    """The organisation an address names: its first part (``first``: Web of Science writes the organisation
    first), else the first part naming a university, else the last naming another organisation (a unit comes
    before the organisation it belongs to: "Population Research Institute, Exemplar Institute"), else the
    first part."""
    parts = [p.strip() for p in _EMAIL.sub("", address).strip().rstrip(".").split(",") if p.strip()]
    if not parts:
        return None
    if first:
        return parts[0]
    universities = [part for part in parts if _UNIVERSITY.search(part)]
    if universities:
        return universities[0]
    organisations = [part for part in parts if _ORGANISATION.search(part)]
    return organisations[-1] if organisations else parts[0]


def _row(position: int, name: str, addresses: list[str], corresponding, *, first: bool) -> dict:
    names, ids, countries = [], [], []
    for address in addresses:
        institution = institution_name(address, first=first)
        key = plain(institution) if institution else ""
        if key and key not in ids:
            ids.append(key)
            names.append(institution)
        code = country_code(_EMAIL.sub("", address))
        if code and code not in countries:
            countries.append(code)
    return {"position": position, "author_id": name_key(name), "author_name": name.strip(),
            "institution_ids": "; ".join(ids) or None, "institution_names": "; ".join(names) or None,
            "country_codes": "; ".join(countries) or None, "is_corresponding": corresponding}


# --- the bundles corpus readers keep ---------------------------------------------------------------------


def wos_bundle(tags: dict[str, list[str]]) -> str | None:
    """The authorship fields of a Web of Science record (``AF``/``AU``, ``C1``, ``RP``) as JSON text."""
    authors = tags.get("AF") or tags.get("AU") or []
    if not authors:
        return None
    return json.dumps({"format": "wos", "authors": authors, "c1": tags.get("C1", []),
                       "rp": " ".join(tags.get("RP", [])) or None}, ensure_ascii=False)


def scopus_bundle(authors: list[str], with_affiliations, affiliations, correspondence) -> str | None:
    """The authorship fields of a Scopus row as JSON text."""
    if not authors:
        return None
    return json.dumps({"format": "scopus", "authors": authors, "with": with_affiliations or None,
                       "list": affiliations or None, "corr": correspondence or None}, ensure_ascii=False)


def pubmed_bundle(authors: list[str], addresses: list[list[str]]) -> str | None:
    """The authors of a MEDLINE record and each one's ``AD`` lines as JSON text."""
    if not authors:
        return None
    return json.dumps({"format": "pubmed", "authors": authors, "ad": addresses}, ensure_ascii=False)


def bundle_size(raw) -> int:
    """How much a bundle says (to keep the richest): the author-institution pairs it gives, plus the authors
    it says are or are not corresponding."""
    try:
        rows = authorship_rows(raw)
    except (ValueError, TypeError, KeyError):
        return 0
    return (sum(len(r["institution_ids"].split("; ")) for r in rows if r["institution_ids"])
            + sum(r["is_corresponding"] is not None for r in rows))


# --- reading them ------------------------------------------------------------------------------------------


def authorship_rows(raw) -> list[dict]:
    """One row per author (see the module notes) from a bundle (JSON text or dict); [] when there is none.

    Raises ValueError when the bundle is not one this module wrote.
    """
    if raw is None or (isinstance(raw, float) and raw != raw) or raw == "":
        return []
    bundle = json.loads(raw) if isinstance(raw, str) else raw
    kind = bundle.get("format") if isinstance(bundle, dict) else None
    if kind == "wos":
        return _wos_rows(bundle)
    if kind == "scopus":
        return _scopus_rows(bundle)
    if kind == "pubmed":
        return [_row(i, name, list(ads or []), None, first=False)
                for i, (name, ads) in enumerate(zip(bundle["authors"], bundle["ad"] + [[]] * len(bundle["authors"])))]
    raise ValueError(f"not an affiliations bundle: format {kind!r}")


_RP = re.compile(r"([^;()]+?)\s*\((?:corresponding|reprint) author\)", re.IGNORECASE)


def _wos_rows(bundle: dict) -> list[dict]:
    authors = [a for a in bundle["authors"] if a and a.strip()]
    keys = [name_key(a) for a in authors]
    plains = [plain(a) for a in authors]
    own: list[list[str]] = [[] for _ in authors]
    shared: list[str] = []
    for line in bundle.get("c1") or []:
        match = re.match(r"^\[([^\]]*)\]\s*(.*)$", line.strip())
        if not match:
            if line.strip():
                shared.append(line.strip())
            continue
        names, address = match.group(1).split(";"), match.group(2)
        for name in names:
            wanted = plain(name)
            hits = [i for i, p in enumerate(plains) if p == wanted] or \
                [i for i, k in enumerate(keys) if k and k == name_key(name)]
            for i in hits[:1]:
                if address not in own[i]:
                    own[i].append(address)
    rp = bundle.get("rp")
    corresponding = {name_key(m.group(1)) for m in _RP.finditer(rp)} if rp else None
    return [_row(i, name, own[i] + [a for a in shared if a not in own[i]],
                 (keys[i] in corresponding) if corresponding is not None else None, first=True)
            for i, name in enumerate(authors)]


# "Aguiar, L., affiliation" (before 2023) or "Liu F., affiliation"
_SCOPUS_OLD = re.compile(r"^([^,;]+, (?:[A-Z][a-z]?\.\s?-?\s?)+)(?:,\s*(.*))?$", re.DOTALL)


def _scopus_entry(entry: str) -> tuple[str, str]:
    match = _SCOPUS_OLD.match(entry)
    if match:
        return match.group(1).strip(), (match.group(2) or "").strip()
    name, _, rest = entry.partition(", ")
    return name.strip(), rest.strip()


def _split_affiliations(text: str, known: list[str]) -> list[str]:
    """An author's affiliations from the text after the name: the listed affiliations it holds, in order;
    the whole text as one when it holds none of them."""
    if not text:
        return []
    found = sorted((text.find(k), k) for k in known if k and text.find(k) >= 0)
    kept = []
    for start, k in found:  # a listed affiliation inside a longer one found at the same place is not another
        if not any(s <= start < s + len(o) for s, o in kept):
            kept.append((start, k))
    return [k for _, k in kept] or [text]


def _scopus_rows(bundle: dict) -> list[dict]:
    authors = [a for a in bundle["authors"] if a and a.strip()]
    keys = [name_key(a) for a in authors]
    known = [a.strip() for a in (bundle.get("list") or "").split("; ") if a.strip()]
    entries = [e for e in (bundle.get("with") or "").split("; ") if e.strip()]
    parsed = [_scopus_entry(e) for e in entries]
    own: list[list[str]] = [[] for _ in authors]
    if len(parsed) == len(authors):
        for i, (_, text) in enumerate(parsed):
            own[i] = _split_affiliations(text, known)
    else:  # an affiliation holding "; ": join entries to the author entry before them by name
        current = None
        for name, text in parsed:
            key = name_key(name)
            hits = [i for i, k in enumerate(keys) if k == key and not own[i]]
            if hits:
                current = hits[0]
                own[current] = _split_affiliations(text, known)
            elif current is not None:
                own[current] = _split_affiliations(", ".join(own[current]) + "; " + name + (", " + text if text
                                                                                              else ""), known)
    corr = bundle.get("corr")
    corresponding = None
    if corr:
        corresponding = name_key(corr.split(";")[0])
    return [_row(i, name, own[i], (keys[i] == corresponding) if corresponding else None, first=False)
            for i, name in enumerate(authors)]
