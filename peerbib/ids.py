"""Identifiers in one normal form: DOIs, OpenAlex work ids, titles for matching.

One regular expression each, used everywhere a DOI or an id is read (corpus
files, OpenAlex records, statement exports), so the same work is always
spelled the same way.
"""
from __future__ import annotations

import html
import re
import unicodedata

__all__ = ["normalize_doi", "is_valid_doi", "short_id", "normalize_title", "is_blank"]

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi\.org/|doi:\s*|doi\s+)", re.IGNORECASE)
# Crossref's recommended pattern, which matches ~99% of registered DOIs;
# anything else is far more likely a typo than a real DOI.
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
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


def normalize_doi(value) -> str | None:
    """Return a DOI bare and lower case, or None when the value is empty.

    Removes surrounding whitespace, ``https://doi.org/``, ``http://dx.doi.org/``
    and ``doi:`` prefixes. DOIs are case-insensitive, so lower case is the
    canonical form. The result is not validated: see :func:`is_valid_doi`.

    Examples
    --------
    >>> normalize_doi(" https://doi.org/10.1186/1472-6963-13-188 ")
    '10.1186/1472-6963-13-188'
    >>> normalize_doi("DOI:10.1007/S10488-014-0603-Z")
    '10.1007/s10488-014-0603-z'
    """
    if is_blank(value):
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    text = _DOI_PREFIX.sub("", text).strip()
    return text.lower() or None


def is_valid_doi(doi: str | None) -> bool:
    """True when ``doi`` (already normalised) looks like a registered DOI."""
    return bool(doi) and bool(_DOI.match(doi))


def short_id(value) -> str | None:
    """``"https://openalex.org/W123"`` -> ``"W123"``; None when not a work id."""
    if not isinstance(value, str):
        return None
    match = _WORK_ID.match(value.strip())
    return match.group(1).upper() if match else None


def normalize_title(title) -> str:
    """Lower-case, accent- and punctuation-free form of a title for matching."""
    if is_blank(title):
        return ""
    text = unicodedata.normalize("NFKD", html.unescape(str(title)))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w\s]", " ", text.lower())
    return " ".join(text.split())
