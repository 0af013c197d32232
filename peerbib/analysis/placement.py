"""Labels placed when a figure is drawn, where their sizes are known: apart from each other, or inside their bar.

A label's size in data units is only known once the figure's layout has
sized its axes (a constrained layout does that as the figure is drawn, and a
figure saved at another dpi is drawn again). So the placement is done by an
artist the axes draw before the labels (:class:`SpreadLabels`,
:class:`LabelsInside`), each time the figure is drawn; it draws nothing
itself and takes no room in a layout.

:func:`spread` is the placement itself: each label, in the order given (the
most important first), goes where it was anchored if that spot is free, else
to the nearest free spot on rings around the anchor, with a leader line back
to it. It is deterministic: the same figure gives the same picture.

Imported when a chart is made: ``import peerbib`` does not import matplotlib.
"""
from __future__ import annotations

import numpy as np
from matplotlib.artist import Artist

__all__ = ["spread", "SpreadLabels", "LabelsInside", "text_colour_on"]

#: Directions tried on each ring around an anchor, starting straight above and going round.
_DIRECTIONS = 16
#: Rings tried before a label settles for the spot where it overlaps least.
_RINGS = 30


def _overlaps(boxes: np.ndarray, placed: np.ndarray) -> np.ndarray:
    """Total overlap area of each row of ``boxes`` (x0, y0, x1, y1) with the rows of ``placed``."""
    if not len(placed):
        return np.zeros(len(boxes))
    width = np.minimum(boxes[:, None, 2], placed[None, :, 2]) - np.maximum(boxes[:, None, 0], placed[None, :, 0])
    height = np.minimum(boxes[:, None, 3], placed[None, :, 3]) - np.maximum(boxes[:, None, 1], placed[None, :, 1])
    return (np.clip(width, 0, None) * np.clip(height, 0, None)).sum(axis=1)


def spread(anchors, sizes, *, bounds, gap: float = 2.0) -> np.ndarray:
    """Where each label's centre goes so that no two labels overlap, each near its anchor.

    Parameters
    ----------
    anchors : array-like, shape (n, 2)
        Where each label belongs (display units, e.g. pixels), most important
        label first: earlier labels keep their anchor, later ones move.
    sizes : array-like, shape (n, 2)
        Width and height of each label, in the same units.
    bounds : tuple of float
        ``(x0, y0, x1, y1)``: labels stay inside this box when they can.
    gap : float, default 2.0
        Room kept between two labels.

    Returns
    -------
    numpy.ndarray, shape (n, 2)
        Each label's centre. A label that finds no free spot within
        ``_RINGS`` rings takes the spot of least overlap among those tried.
    """
    anchors = np.asarray(anchors, dtype=float).reshape(-1, 2)
    sizes = np.asarray(sizes, dtype=float).reshape(-1, 2) + gap
    x0, y0, x1, y1 = bounds
    angles = np.pi / 2 - 2 * np.pi * np.arange(_DIRECTIONS) / _DIRECTIONS
    unit = np.column_stack([np.cos(angles), np.sin(angles)])
    placed = np.zeros((0, 4))
    centres = np.zeros_like(anchors)
    for i, (anchor, (w, h)) in enumerate(zip(anchors, sizes)):
        step = max(min(w, h), 1.0) * 0.75
        candidates = np.vstack([anchor[None, :], *(anchor + ring * step * unit for ring in range(1, _RINGS + 1))])
        # inside the bounds where the label fits in them at all
        candidates[:, 0] = np.clip(candidates[:, 0], x0 + w / 2, max(x1 - w / 2, x0 + w / 2))
        candidates[:, 1] = np.clip(candidates[:, 1], y0 + h / 2, max(y1 - h / 2, y0 + h / 2))
        boxes = np.column_stack([candidates - (w / 2, h / 2), candidates + (w / 2, h / 2)])
        overlaps = _overlaps(boxes, placed)
        free = np.flatnonzero(overlaps == 0)
        best = int(free[0]) if len(free) else int(np.argmin(overlaps))  # the nearest free spot, else least overlap
        centres[i] = candidates[best]
        placed = np.vstack([placed, boxes[best]])
    return centres


def _label_size(label, renderer) -> tuple[float, float]:
    """Width and height of an annotation's box (or text, without a box), in pixels, wherever it is drawn."""
    from matplotlib.text import Text

    patch = label.get_bbox_patch()
    if patch is None:
        extent = Text.get_window_extent(label, renderer)  # the text alone, not its leader line
        return extent.width, extent.height
    label.update_bbox_position_size(renderer)
    extent = patch.get_window_extent(renderer)
    line = renderer.points_to_pixels(patch.get_linewidth())
    return extent.width + line, extent.height + line


class SpreadLabels(Artist):
    """Moves the given annotations apart each time the axes are drawn (see :func:`spread`).

    Each annotation must be made with ``textcoords="offset points"`` at an
    offset of (0, 0) and, for its leader line, an ``arrowprops`` whose line is
    shown only when the label had to move away from its anchor.
    Annotations are placed in the order given: put the most important first.
    """

    def __init__(self, labels, *, gap_points: float = 2.0):
        super().__init__()
        self.labels = list(labels)
        self.gap_points = gap_points
        self.set_zorder(float("-inf"))
        self.set_in_layout(False)

    def draw(self, renderer):
        if self.axes is None or not self.labels:
            return
        for label in self.labels:
            label.xyann = (0.0, 0.0)
        to_points = 72.0 / self.axes.get_figure(root=True).dpi
        anchors = np.array([self.axes.transData.transform(label.xy) for label in self.labels])
        sizes = np.array([_label_size(label, renderer) for label in self.labels])
        frame = self.axes.get_window_extent(renderer)
        centres = spread(anchors, sizes, bounds=(frame.x0, frame.y0, frame.x1, frame.y1),
                         gap=renderer.points_to_pixels(self.gap_points))
        for label, anchor, centre, (w, h) in zip(self.labels, anchors, centres, sizes):
            moved = centre - anchor
            label.xyann = tuple(moved * to_points)
            if label.arrow_patch is not None:
                # a leader line only for a label moved off its anchor (then the line leaves its box)
                label.arrow_patch.set_visible(bool(abs(moved[0]) > w / 2 or abs(moved[1]) > h / 2))


def text_colour_on(colour) -> str:
    """Black or white, whichever reads better on ``colour`` (by its relative luminance, WCAG's formula)."""
    from matplotlib.colors import to_rgb

    channels = np.array(to_rgb(colour))
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    luminance = float(linear @ [0.2126, 0.7152, 0.0722])
    # contrast with black (L + 0.05) / 0.05 against with white 1.05 / (L + 0.05): equal at L ~ 0.18
    return "black" if luminance > 0.179 else "white"


class LabelsInside(Artist):
    """Shows each text only when it fits inside its rectangle (a bar), each time the axes are drawn."""

    def __init__(self, pairs, *, pad_points: float = 1.0):
        super().__init__()
        self.pairs = list(pairs)
        self.pad_points = pad_points
        self.set_zorder(float("-inf"))
        self.set_in_layout(False)

    def draw(self, renderer):
        pad = renderer.points_to_pixels(self.pad_points)
        for text, rectangle in self.pairs:
            text.set_visible(True)
            inside = rectangle.get_window_extent(renderer)
            extent = text.get_window_extent(renderer)
            text.set_visible(bool(extent.width + 2 * pad <= inside.width and extent.height + 2 * pad <= inside.height))
