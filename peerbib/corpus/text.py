"""Reading a text file of a corpus export, with the errors a user can act on."""
from __future__ import annotations

from pathlib import Path

from ..errors import CorpusError

__all__ = ["read_text"]


def read_text(path: Path) -> str:
    """The file's text (UTF-8, a byte-order mark dropped); a :class:`CorpusError` when it is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", path=path
        ) from None
