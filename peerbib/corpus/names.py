"""Personal names as the databases write them, read into a surname and initials, and a key to compare them by.

"Smith, John A" and "Smith, J" (Web of Science, PubMed FAU, Zotero), "Smith J." and "van Eck N.J."
(Scopus), "Smith JA" (Web of Science's cited references, PubMed AU), "J. Smith" (Scopus's correspondence
address) all give the surname "Smith" and the initials "J…"; :func:`name_key` makes them one key,
"smith j" (the surname and the first initial, without case or accents), the form bibliometric tools use to
tell authors apart when no author id is given. Two authors with one surname and one first initial share a
key: that is the known limit of name keys.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["split_name", "name_key", "plain"]

# one initials token: "J", "JA", "J.", "J.A.", "N.J.", "J-P", "J.-P."
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,4}$|^(?:[A-Z]\.-?){1,4}$|^(?:[A-Z][a-z]?\.){1,3}$")
_ANONYMOUS = {"anonymous", "[anonymous]", "anon", "no author name available", "[no author name available]"}


@lru_cache(maxsize=1 << 16)  # the same names and sources recur across a corpus's references
def plain(text: str) -> str:
    """Lower case, accents dropped, every run of other characters than letters and digits one space."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("ß", "ss").replace("ø", "o").replace("æ", "ae").replace("ł", "l").replace("đ", "d")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _initials_of(given: str) -> str:
    """"John Andrew" -> "JA"; "J.-P." -> "JP"; "JA" -> "JA" (already initials)."""
    given = given.strip()
    if not given:
        return ""
    words = [w for w in re.split(r"[\s.\-]+", given) if w]
    if len(words) == 1 and re.fullmatch(r"[A-Z]{1,4}", words[0]):
        return words[0]
    return "".join(w[0].upper() for w in words if w[0].isalpha())


@lru_cache(maxsize=1 << 16)
def split_name(name, *, surname_first: bool = False) -> tuple[str, str] | None:
    """(surname, initials) of a personal name; None when it names no one ("[Anonymous]", blank).

    Parameters
    ----------
    name : str
        "Surname, Given", "Surname I.", "I. Surname", or "Given Surname".
    surname_first : bool
        How to read a name of plain words with no comma and no initials: "Funahashi Akira" (Web of
        Science's cited references write the surname first) rather than "John Smith".
    """
    if not isinstance(name, str):
        return None
    text = re.sub(r"\s+", " ", name.replace("\u00a0", " ")).strip().strip(",;").strip()
    text = text.lstrip("*").strip()  # Web of Science marks an organisation as author with "*"
    if not text or text.casefold() in _ANONYMOUS:
        return None
    if "," in text:
        surname, given = text.split(",", 1)
        surname = re.sub(r"\s+(?:Jr|Sr)\.?$", "", surname.strip())
        given = re.sub(r"\b(?:Jr|Sr|II|III|IV)\.?$", "", given.strip()).strip(" ,")
        return (surname.strip(), _initials_of(given)) if surname.strip() else None
    words = text.split(" ")
    trailing = len(words)
    while trailing > 1 and _INITIALS.match(words[trailing - 1]):
        trailing -= 1
    if trailing < len(words):  # "Smith J", "van Eck N.J.", "Bucaro J. A."
        return " ".join(words[:trailing]), "".join(_initials_of(w) for w in words[trailing:])
    leading = 0
    while leading < len(words) - 1 and _INITIALS.match(words[leading]):
        leading += 1
    if leading:  # "J. Smith", "S.M. Abdullah"
        return " ".join(words[leading:]), "".join(_initials_of(w) for w in words[:leading])
    if len(words) == 1:
        return words[0], ""
    if surname_first:
        return words[0], _initials_of(" ".join(words[1:]))
    return words[-1], _initials_of(" ".join(words[:-1]))


def name_key(name, *, surname_first: bool = False) -> str | None:
    """ "smith j" for every way of writing John Smith's name (see the module notes); None for no one."""
    parts = split_name(name, surname_first=surname_first)
    if parts is None:
        return None
    surname, initials = parts
    key = plain(surname)
    if not key:
        return None
    return f"{key} {initials[:1].lower()}".strip()
