"""Titles and author names in one style for what the pages show; the tables keep what each database wrote.

Databases write the same things differently: Web of Science's older records
put titles in capitals ("PEER SUPPORT IN MENTAL HEALTH"), where Scopus and
PubMed write "Peer support in mental health"; an author is "Holley J."
in Scopus, "Holley, Jessica" in Web of Science and PubMed, "Jessica Holley"
in OpenAlex and Lens. :func:`display_title` gives a title in capitals in
sentence case; :func:`display_author` gives every name as "Surname, I. I."
(the initials are all Scopus gives, so the one form every database can
fill). ``tables.works`` keeps each database's text; only what is shown
changes.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from ..corpus.names import split_name

__all__ = ["display_title", "title_acronyms", "display_titles", "display_author", "display_authors"]

#: Acronyms common in this literature's titles, kept in capitals when a title in capitals is lowered (the
#: corpus's own come from :func:`title_acronyms`). Not "WHO", "US", "IT", "AIDS", "PET", "STEM": they are also
#: words.
_ACRONYMS = frozenset({
    "UK", "USA", "EU", "NHS", "NIHR", "HIV", "ADHD", "PTSD", "OCD", "CBT", "RCT", "RCTS", "BMC", "BMJ",
    "JAMA", "IEEE", "ACM", "PLOS", "DNA", "RNA", "MRNA", "MRI", "ICU", "GP", "GPS", "LGBT", "LGBTQ", "NGO",
    "NGOS", "COPD", "BMI", "SARS", "MERS", "ICT", "AI", "UNESCO", "OECD", "SES",
    "ASD", "TB", "HPV", "HCV", "HBV", "PCR", "CT", "EEG", "ECG", "QOL", "HRQOL", "II", "III", "IV", "VI",
    "VII", "VIII", "IX", "XI", "XII",
})
# a word with a digit (TP53, IL-6, COVID-19, H1N1, 2019-NCOV): a gene, a chemical, a strain, a code
_HAS_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*|\w+", re.UNICODE)
# where a new sentence starts in a title: its start, after a colon, a full stop, a question or exclamation mark
_SENTENCE = re.compile(r"(?:^\W*|[.?!]\s+\W*|:\s*\W*)$")
_LETTERS = re.compile(r"[^\W\d_]+")


def _in_capitals(text: str) -> bool:
    """True when a title is written in capitals: two words or more in capitals, and at most one word in five
    with a lower-case letter ("EFFECTS OF pH ON H1N1" still counts)."""
    words = _WORD.findall(text)
    capitals = sum(1 for w in words if sum(c.isupper() for c in w) >= 2 and not any(c.islower() for c in w))
    lower = sum(1 for w in words if any(c.islower() for c in w))
    return capitals >= 2 and lower * 5 <= len(words)


def title_acronyms(titles: Iterable) -> frozenset:
    """The words that the titles not in capitals write in capitals and never in lower case ("NHS", "BMJ").

    A title in capitals shows nothing about case, so only the others count; a word of two letters or more
    that some title writes as "who" or "Who" is a word, not an acronym.

    Examples
    --------
    >>> sorted(title_acronyms(["Peer support in the NHS", "Patients who use CBT", "WHO guidance", "IT IS ALL CAPS"]))
    ['CBT', 'NHS']
    """
    capitals: set[str] = set()
    lowered: set[str] = set()
    for title in titles:
        if not isinstance(title, str) or _in_capitals(title):
            continue
        for word in _WORD.findall(title):
            for part in word.split("-"):
                if len(part) < 2 or _HAS_DIGIT.search(part):
                    continue
                (capitals if part.isupper() else lowered).add(part if part.isupper() else part.upper())
    return frozenset(capitals - lowered)


def _lowered(word: str, acronyms: frozenset) -> str:
    if _HAS_DIGIT.search(word) or any(c.islower() for c in word):  # TP53, IL-6; "pH" as written
        return word
    # "İ" (Turkish) lowers to "i" and a combining dot: the dot goes
    return "-".join(p if p.strip("'\u2019").upper() in acronyms else p.lower().replace("i\u0307", "i")
                    for p in word.split("-"))


def display_title(title, *, acronyms: Iterable[str] | None = None):
    """A title written in capitals in sentence case; any other title (or a blank) as it is.

    The first word, and the first after a colon or a full stop, start with a capital; words with a
    digit (TP53, IL-6, COVID-19), words already in mixed case ("pH") and acronyms (a built-in list: NHS,
    UK, HIV, PTSD, …; and ``acronyms``: see :func:`title_acronyms` for the corpus's own) keep their
    capitals; every other word is lowered, so a place name in a title in capitals ("ENGLAND") is lowered
    too.

    Examples
    --------
    >>> display_title("PEER SUPPORT FOR PTSD IN THE UK: A REVIEW OF IL-6 AND COVID-19 STUDIES")
    'Peer support for PTSD in the UK: A review of IL-6 and COVID-19 studies'
    >>> display_title("Peer workers in mental health services: literature overview")
    'Peer workers in mental health services: literature overview'
    """
    if not isinstance(title, str) or not _in_capitals(title):
        return title
    known = _ACRONYMS | {a.upper() for a in acronyms} if acronyms is not None else _ACRONYMS
    out: list[str] = []
    end = 0
    for match in _WORD.finditer(title):
        out.append(title[end:match.start()])
        word = _lowered(match.group(0), known)
        if _SENTENCE.search("".join(out)) and word[:1].islower():
            word = word[:1].upper() + word[1:]
        out.append(word)
        end = match.end()
    out.append(title[end:])
    return "".join(out)


def display_titles(titles: pd.Series) -> pd.Series:
    """:func:`display_title` of every title, with the acronyms the other titles show (:func:`title_acronyms`)."""
    if not len(titles):
        return titles
    if not any(isinstance(t, str) and _in_capitals(t) for t in titles):
        return titles
    acronyms = title_acronyms(titles)
    return titles.map(lambda t: display_title(t, acronyms=acronyms))


_PARTICLES = frozenset({"van", "von", "de", "der", "den", "del", "della", "da", "di", "do", "dos", "das", "du",
                        "la", "le", "ten", "ter", "bin", "al", "el", "st"})
#: Words that make an author an organisation, written as it is ("World Health Organization").
_ORGANISATION = re.compile(r"\b(?:organi[sz]ation|group|association|committee|consortium|collaborat\w*|institute|"
                           r"network|society|council|department|agency|ministry|university|centre|center|"
                           r"foundation|investigators|team|board|commission|office|programme|program)\b",
                           re.IGNORECASE)


#: A character no person's name is written with (letters, spaces, ".", ",", apostrophes and hyphens are).
_NOT_A_NAME = re.compile(r"[^\w\s.,'\u2019\u2010-]|[\d_]")


def _latin(text: str) -> bool:
    """Every letter of ``text`` is Latin (initials are a Latin-script habit: 山田 太郎 is kept as written)."""
    import unicodedata

    return all(unicodedata.name(c, "").startswith("LATIN") for c in text if c.isalpha())


def display_author(name):
    """An author's name as "Surname, I. I." however the database wrote it; else as written.

    "Holley J." and "Holley JA" (Scopus, PubMed), "Holley, Jessica A" (Web of Science, PubMed), "Jessica A.
    Holley" (OpenAlex, Lens) all give "Holley, J. A."; a surname in capitals ("HOLLEY, J") is written as a
    name; "van Eck N.J." and "Nees Jan van Eck" give "van Eck, N. J.". An organisation as author
    ("World Health Organization", Web of Science's "*World Health Organization") and what names no one
    ("[Anonymous]") are kept as written (without the "*"), and so is anything holding a character no
    name is written with (digits, "$", brackets, markup) or written in a script other than Latin.

    Examples
    --------
    >>> [display_author(n) for n in ("Mehreen H.", "Li, Zihanxin", "Holley JA", "Jessica A. Holley")]
    ['Mehreen, H.', 'Li, Z.', 'Holley, J. A.', 'Holley, J. A.']
    """
    if not isinstance(name, str):
        return name
    text = " ".join(name.split()).strip(" ,;")
    if text.startswith("*"):
        return text.lstrip("*").strip()
    if _ORGANISATION.search(text) or ("," not in text and len(text.split()) > 4):
        return text
    if _NOT_A_NAME.search(text) or not _latin(text):  # digits, "$", markup, or a script without initials
        return text
    if text.isupper() and "," in text:  # "O'BRIEN, MARY": a given name of three letters or more, not initials
        surname_part, given = text.split(",", 1)
        given = re.sub(r"\b[A-Z]*[AEIOUY][A-Z]*\b",
                       lambda m: m.group(0).title() if len(m.group(0)) > 2 else m.group(0), given)
        text = f"{surname_part},{given}"
    parts = split_name(text)
    if parts is None:
        return text
    surname, initials = parts
    words = text.split()
    if "," not in text and surname == words[-1] and len(words) > 2:
        # "Nees Jan van Eck": the particles before the last word belong to the surname
        start = len(words) - 1
        while start > 1 and words[start - 1].lower() in _PARTICLES:
            start -= 1
        if start < len(words) - 1:
            surname = " ".join(words[start:])
            initials = "".join(w[0].upper() for w in words[:start] if w[:1].isalpha())
    if surname.isupper() and len(surname) > 1:  # "O'BRIEN-SMITH" -> "O'Brien-Smith"
        surname = _LETTERS.sub(lambda m: m.group(0)[0] + m.group(0)[1:].lower(), surname)
    shown = " ".join(f"{i}." for i in initials)
    return f"{surname}, {shown}" if shown else surname


def display_authors(authors):
    """A "; " list of authors with each name as :func:`display_author` gives it."""
    if not isinstance(authors, str):
        return authors
    return "; ".join(display_author(a.strip()) for a in authors.split(";") if a.strip())
