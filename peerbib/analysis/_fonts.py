"""The matplotlib classes behind :func:`.present.new_axes`'s fallback fonts.

Imported by :func:`~.present.new_axes` only, when a chart is made: ``import
peerbib`` does not import matplotlib.
"""
from __future__ import annotations

from matplotlib.artist import Artist
from matplotlib.figure import Figure

from .present import _give_fallback_fonts

__all__ = ["FallbackFontsFigure", "FallbackFontsLater"]


class FallbackFontsFigure(Figure):
    """A Figure whose texts on matplotlib's default family get the fallback fonts each time it is drawn,
    before its layout engine measures them."""

    def draw(self, renderer):
        _give_fallback_fonts(self)
        super().draw(renderer)


class FallbackFontsLater(Artist):
    """Drawn first among the artists of the axes it is added to (on a figure that is not a
    :class:`FallbackFontsFigure`): gives the axes' texts on the default family the fallback fonts
    before they are drawn. Draws nothing and takes no room in a layout."""

    def __init__(self):
        super().__init__()
        self.set_zorder(float("-inf"))
        self.set_in_layout(False)

    def draw(self, renderer):
        if self.axes is not None:
            _give_fallback_fonts(self.axes)
