"""Reading a text file of a corpus export, with the errors a user can act on.

Database exports come as UTF-8 with or without a byte-order mark (Scopus,
Web of Science "UTF-8"), UTF-16 with a BOM (Excel's "Unicode text", Web of
Science's tab-delimited "Win" export) and with CRLF line ends (PubMed
.nbib). Anything else is refused with a message saying how to save it.
"""
from __future__ import annotations

import codecs
from pathlib import Path

from ..errors import CorpusError

__all__ = ["read_text", "decode"]


def decode(data: bytes, path: Path | None = None) -> str:
    """``data`` as text: UTF-16 (by its BOM) or UTF-8 (BOM dropped), line ends as ``\\n``."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CorpusError(f"not valid UTF-16 text (byte {exc.start}); save the file again as UTF-8",
                              path=path) from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            hint = ""
            if data[:200].count(b"\x00") > 20:
                hint = " (it looks like UTF-16 without a byte-order mark)"
            raise CorpusError(
                f"not UTF-8 or UTF-16 text (byte {exc.start}){hint}; save the file as UTF-8 "
                "(in Excel: CSV UTF-8; in a text editor: encoding UTF-8)", path=path) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def read_text(path: Path) -> str:
    """The file's text (see :func:`decode`); a :class:`CorpusError` when it cannot be decoded."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"cannot be read ({exc.strerror or exc})", path=path) from None
    return decode(data, path)
