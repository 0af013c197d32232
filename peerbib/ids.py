"""Identifiers in one normal form: DOIs, OpenAlex work ids, titles for matching.

One regular expression each, used everywhere a DOI or an id is read (corpus
files, OpenAlex records, statement exports), so the same work is always
spelled the same way. With them, the two questions every reader of a value
asks: is it blank (:func:`is_blank`), and which whole number is it
(:func:`as_int`).
"""
from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import unquote

__all__ = ["normalize_doi", "is_valid_doi", "short_id", "normalize_title", "venue_key", "normalize_issn", "issns",
           "is_blank", "as_int"]

_DOI_URL = re.compile(r"^(?:https?://)?(?:www\.|dx\.)?doi\.org/", re.IGNORECASE)
_DOI_PREFIX = re.compile(r"^(?:doi\s*:\s*|doi\s+)", re.IGNORECASE)
# Characters a copy from a PDF or a web page puts into a DOI: zero-width spaces and joiners, the BOM,
# soft hyphens; and the dashes and minus signs that stand for "-".
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")
_QUERY = re.compile(r"[?#].*$")
_BARE_QUERY = re.compile(r"(?:\?[^/?#]*=[^/]*|#[^/]*)$")
# Crossref's recommended pattern, which matches ~99% of registered DOIs;
# anything else is far more likely a typo than a real DOI. No DOI holds a control character (one in a
# corpus file is a terminal escape sequence or a damaged export).
_DOI = re.compile(r"^10\.\d{4,9}/[^\s\x00-\x1f\x7f-\x9f]+$")
# An OpenAlex work id, bare (W123) or as the URL OpenAlex gives.
_WORK_ID = re.compile(r"^(?:https?://(?:api\.)?openalex\.org/(?:works/)?)?(W\d+)$", re.IGNORECASE)


def is_blank(value) -> bool:
    """True for None, NaN/NA and strings of whitespace."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(value != value)  # NaN, pd.NA
    except (TypeError, ValueError):
        return True


def as_int(value) -> int | None:
    """A whole number from an int, a float (cut to its whole part) or a numeric string ("12", " 12.0 ");
    None for anything else: blanks, NaN, infinity, words, and booleans (a JSON ``true`` is not a count)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        pass
    try:
        return int(float(value))  # "12.0", "1e3": what int() refuses
    except (TypeError, ValueError, OverflowError):
        return None


def normalize_doi(value) -> str | None:
    """Return a DOI bare and lower case, or None when the value is empty.

    Cleans a DOI as researchers paste it: ``https://doi.org/``,
    ``http://dx.doi.org/``, ``doi.org/`` and ``doi:`` / ``DOI:`` prefixes; the
    query string and fragment of a link; percent-encoding (``%2F``); zero-width
    and non-breaking spaces; Unicode dashes (as "-"); trailing ``. , ; :`` and
    closing brackets the DOI does not open; surrounding quotes. DOIs are
    case-insensitive, so lower case is the canonical form. The result is not
    validated: see :func:`is_valid_doi`.

    Examples
    --------
    >>> normalize_doi(" https://doi.org/10.1186/1472-6963-13-188 ")
    '10.1186/1472-6963-13-188'
    >>> normalize_doi("DOI:10.1007/S10488-014-0603-Z")
    '10.1007/s10488-014-0603-z'
    """
    if is_blank(value):
        return None
    text = unicodedata.normalize("NFKC", str(value)).translate(_INVISIBLE).translate(_DASHES).strip()
    text = text.strip("<>\"'\u201c\u201d\u2018\u2019").strip()
    # a DOI begins with "10.": brackets before it come from the sentence it was cut out of
    text = text.lstrip("([{ ")
    text = _DOI_PREFIX.sub("", text).strip()
    url = _DOI_URL.match(text)
    if url:
        # a link: its query string and fragment (?utm_source=…, #abstract) are not part of the DOI
        text = _QUERY.sub("", text[url.end():])
    else:
        text = _BARE_QUERY.sub("", text)
    if "%" in text and re.search(r"%[0-9a-fA-F]{2}", text):
        text = unquote(text)  # 10.1111%2Fhex.13151
    text = text.strip()
    # punctuation the sentence around a pasted DOI left at its end, and brackets it does not open
    while text and text[-1] in ".,;:" or (text[-1:] in ")]}" and _unbalanced(text)):
        text = text[:-1].rstrip()
    return text.lower() or None


def _unbalanced(text: str) -> bool:
    closing = text[-1]
    opening = {")": "(", "]": "[", "}": "{"}[closing]
    return text.count(closing) > text.count(opening)


def is_valid_doi(doi: str | None) -> bool:
    """True when ``doi`` (already normalised) looks like a registered DOI."""
    return bool(doi) and bool(_DOI.match(doi))


def short_id(value) -> str | None:
    """``"https://openalex.org/W123"`` -> ``"W123"``; None when not a work id."""
    if not isinstance(value, str):
        return None
    match = _WORK_ID.match(value.strip())
    return match.group(1).upper() if match else None


_NOT_WORD = re.compile(r"[^\w\s]")


def normalize_title(title) -> str:
    """Lower-case, accent- and punctuation-free form of a title for matching."""
    if is_blank(title):
        return ""
    text = str(title)
    if "&" in text:
        text = html.unescape(text)
    if not text.isascii():  # accents off (ASCII text has none: most titles skip this)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


_QUALIFIER = re.compile(r"\s*\([^()]*\)\s*$")


def venue_key(name) -> str:
    """The form of a venue's name under which the databases' spellings meet.

    Case, accents and punctuation off (as :func:`normalize_title`), "&" as
    "and", a leading "The" and a trailing qualifier in brackets dropped, so
    Scopus's "Sustainability (Switzerland)" and Web of Science's
    "SUSTAINABILITY" share a key; "" when there is no name.

    Examples
    --------
    >>> venue_key("Sustainability (Switzerland)") == venue_key("SUSTAINABILITY")
    True
    >>> venue_key("The Journal of Mental Health & Addiction")
    'journal of mental health and addiction'
    """
    if is_blank(name):
        return ""
    text = _QUALIFIER.sub("", html.unescape(str(name))) or str(name)
    key = normalize_title(text.replace("&", " and "))
    return key[4:] if key.startswith("the ") and len(key) > 4 else key




# An ISSN as databases write it: "1369-6513", "13696513" (Scopus, Lens), "0732-183X", "1369 6513"; not a piece
# of a longer number (an ISBN, a DOI's digits).
_ISSN = re.compile(r"(?<![\w-])(\d{4})[-\u2010\u2011\u2012\u2013 ]?(\d{3}[\dXx])(?![\w-])")


def _issn_valid(digits: str) -> bool:
    """The ISSN check digit (ISO 3297): the weighted sum of all eight, X as 10, divisible by 11."""
    total = sum((8 - i) * int(d) for i, d in enumerate(digits[:7]))
    check = 10 if digits[7] in "Xx" else int(digits[7])
    return (total + check) % 11 == 0


def issns(value) -> list[str]:
    """Every valid ISSN in ``value``, as NNNN-NNNC, each once, in order; [] when there is none.

    Reads one ISSN or several in one field ("1369-6513; 1369-7625", PubMed's
    "1533-4406 (Electronic)"), with or without the hyphen. One whose check
    digit is wrong (a typo, a damaged export) is left out, not an error.

    Examples
    --------
    >>> issns("13696513; 1369-7625 (Electronic)")
    ['1369-6513', '1369-7625']
    >>> issns("0732-183x"), issns("1369-6514")
    (['0732-183X'], [])
    """
    if is_blank(value):
        return []
    text = unicodedata.normalize("NFKC", str(value))
    out: list[str] = []
    for match in _ISSN.finditer(text):
        digits = match.group(1) + match.group(2)
        if _issn_valid(digits):
            issn = f"{digits[:4]}-{digits[4:].upper()}"
            if issn not in out:
                out.append(issn)
    return out


def normalize_issn(value) -> str | None:
    """The first valid ISSN in ``value`` as NNNN-NNNC (see :func:`issns`); None when there is none."""
    found = issns(value)
    return found[0] if found else None
