"""Clusters drawn distinctly: a colour per cluster, labels that do not overlap, numbers in the bars.

The colour checks recompute, independently of peerbib, what the palette's
comment claims: CIEDE2000 distances between the colours with normal vision
and as simulated for deuteranopia and protanopia (Machado, Oliveira &
Fernandes 2009, severity 1). Tables here are SYNTHETIC, made by code.
"""
from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")  # off-screen, set in the test process only

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex, to_rgb  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402

import peerbib.analysis.clusters as pc  # noqa: E402
from peerbib.analysis.placement import spread, text_colour_on  # noqa: E402
from peerbib.analysis.present import CLUSTER_COLORS, CLUSTER_MARKERS, PALETTE, cluster_style  # noqa: E402

# ---------------------------------------------------------------- colour science, written for the test

_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                 [0.0193339, 0.1191920, 0.9503041]])
# Machado et al. (2009), severity 1.0, on linear RGB
_DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                          [-0.011820, 0.042940, 0.968881]])
_PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                        [-0.003882, -0.048116, 1.051998]])


def lab(colours, simulate=None) -> np.ndarray:
    """CIELAB (D65) of sRGB colours, optionally as seen with a colour vision deficiency."""
    rgb = np.array([to_rgb(c) for c in colours])
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    if simulate is not None:
        linear = np.clip(linear @ simulate.T, 0, 1)
    xyz = linear @ _XYZ.T / np.array([0.95047, 1.0, 1.08883])
    d = 6 / 29
    f = np.where(xyz > d ** 3, np.cbrt(xyz), xyz / (3 * d * d) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=-1)


def ciede2000(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005) of Lab rows."""
    l1, a1, b1 = np.moveaxis(first, -1, 0)
    l2, a2, b2 = np.moveaxis(second, -1, 0)
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean ** 7 / (c_mean ** 7 + 25 ** 7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    h1, h2 = np.degrees(np.arctan2(b1, a1)) % 360, np.degrees(np.arctan2(b2, a2)) % 360
    dh = h2 - h1
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1 * c2 == 0, 0, dh)
    d_hue = 2 * np.sqrt(c1 * c2) * np.sin(np.radians(dh / 2))
    l_mean, c_mean = (l1 + l2) / 2, (c1 + c2) / 2
    h_sum = h1 + h2
    h_mean = np.where(c1 * c2 == 0, h_sum, np.where(np.abs(h1 - h2) <= 180, h_sum / 2,
                                                    np.where(h_sum < 360, (h_sum + 360) / 2, (h_sum - 360) / 2)))
    t = (1 - 0.17 * np.cos(np.radians(h_mean - 30)) + 0.24 * np.cos(np.radians(2 * h_mean))
         + 0.32 * np.cos(np.radians(3 * h_mean + 6)) - 0.20 * np.cos(np.radians(4 * h_mean - 63)))
    rotation = -np.sin(np.radians(60 * np.exp(-(((h_mean - 275) / 25) ** 2)))) \
        * 2 * np.sqrt(c_mean ** 7 / (c_mean ** 7 + 25 ** 7))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    s_c, s_h = 1 + 0.045 * c_mean, 1 + 0.015 * c_mean * t
    dl, dc = (l2 - l1) / s_l, (c2 - c1) / s_c
    dhh = d_hue / s_h
    return np.sqrt(dl ** 2 + dc ** 2 + dhh ** 2 + rotation * dc * dhh)


def distances(colours, simulate=None) -> np.ndarray:
    points = lab(colours, simulate)
    matrix = ciede2000(points[:, None, :], points[None, :, :])
    np.fill_diagonal(matrix, np.inf)
    return matrix


def test_ciede2000_of_the_test_reproduces_published_values():
    # pairs 1 and 8 of Sharma, Wu & Dalal's test data
    assert ciede2000(np.array([50, 2.6772, -79.7751]), np.array([50, 0, -82.7485])) == pytest.approx(2.0425, abs=1e-4)
    assert ciede2000(np.array([50, 2.5, 0]), np.array([73, 25, -18])) == pytest.approx(27.1492, abs=1e-4)


# ---------------------------------------------------------------- the palette


def test_twenty_cluster_colours_far_apart_with_normal_vision():
    assert len(CLUSTER_COLORS) >= 20 and CLUSTER_COLORS[:len(PALETTE)] == PALETTE
    assert len({to_hex(c) for c in CLUSTER_COLORS}) == len(CLUSTER_COLORS)
    assert distances(CLUSTER_COLORS[:20]).min() > 19  # CIEDE2000; ~2 is a just noticeable difference
    lightness = lab(CLUSTER_COLORS)[:, 0]
    assert lightness.max() < 90  # nothing near the white page


@pytest.mark.parametrize("simulate", [_DEUTERANOPIA, _PROTANOPIA], ids=["deuteranopia", "protanopia"])
def test_colours_a_colour_blind_reader_confuses_differ_in_marker(simulate):
    matrix = distances(CLUSTER_COLORS[:20], simulate)
    assert matrix.min() > 6  # no worse than Okabe & Ito's own closest pair (reddish purple, grey)
    close = [(i, j) for i, j in itertools.combinations(range(20), 2) if matrix[i, j] < 12]
    assert close  # twenty colours cannot all stay far apart for them: hence the markers
    assert all(CLUSTER_MARKERS[i] != CLUSTER_MARKERS[j] for i, j in close), close


def test_cluster_style_never_repeats_colour_and_marker_together():
    styles = [cluster_style(c) for c in range(140)]
    assert len(set(styles)) == 140
    assert len({colour for colour, _ in styles[:20]}) == 20
    with pytest.raises(ValueError, match="0 or more"):
        cluster_style(-1)


def test_text_colour_on_a_fill_is_the_legible_one():
    assert text_colour_on("#F0E442") == "black" and text_colour_on("#0000FF") == "white"
    assert text_colour_on("#FFFFFF") == "black" and text_colour_on("#000000") == "white"


# ---------------------------------------------------------------- labels apart


def crowded_map(k: int = 20, n_per_cluster: int = 15, seed: int = 0) -> pd.DataFrame:
    """SYNTHETIC cluster_map table: k clusters whose centres nearly coincide, and one far off."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(k):
        centre = (5.0, 5.0) if c == k - 1 else (0.01 * c, 0.005 * c)
        for i in range(n_per_cluster - c // 4):
            x, y = rng.normal(centre, 0.05)
            rows.append({"work_id": f"W{c}-{i}", "cluster": c, "label": f"{c}: term{c}", "x": x, "y": y})
    return pd.DataFrame(rows)


def label_boxes(ax):
    labels = [t for t in ax.texts if isinstance(t, Annotation)]
    return labels, [label.get_bbox_patch().get_window_extent() for label in labels]


@pytest.mark.parametrize("figsize,dpi", [((10, 6), 100), ((6, 4), 200)])
def test_cluster_numbers_on_the_map_do_not_overlap_once_drawn(figsize, dpi):
    table = crowded_map()
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi, layout="constrained")
    pc.plot_cluster_map(table, ax=ax)
    fig.canvas.draw()
    labels, boxes = label_boxes(ax)
    assert sorted(int(label.get_text()) for label in labels) == list(range(20))
    overlapping = [(a.get_text(), b.get_text()) for (a, p), (b, q) in itertools.combinations(zip(labels, boxes), 2)
                   if p.overlaps(q)]
    assert overlapping == []
    frame = ax.get_window_extent()
    assert all(frame.x0 - 1 <= box.x0 and box.x1 <= frame.x1 + 1 and frame.y0 - 1 <= box.y0
               and box.y1 <= frame.y1 + 1 for box in boxes)
    # the largest cluster keeps its place and needs no leader line; the far-off one too; moved ones have one
    by_number = {int(label.get_text()): label for label in labels}
    assert by_number[0].xyann == (0.0, 0.0) and not by_number[0].arrow_patch.get_visible()
    assert by_number[19].xyann == (0.0, 0.0) and not by_number[19].arrow_patch.get_visible()
    moved = [label for label in labels if label.xyann != (0.0, 0.0)]
    assert moved and all(label.arrow_patch.get_visible() for label in moved
                         if np.hypot(*label.xyann) > 20)
    plt.close(fig)


def test_labels_stay_apart_when_saved_at_another_size(tmp_path):
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    pc.plot_cluster_map(crowded_map(), ax=ax)
    fig.savefig(tmp_path / "map.png", dpi=300)
    fig.set_size_inches(5, 3.5)
    fig.canvas.draw()
    _, boxes = label_boxes(ax)
    assert not any(p.overlaps(q) for p, q in itertools.combinations(boxes, 2))
    plt.close(fig)


def test_spread_keeps_the_first_label_and_separates_the_rest():
    anchors = np.zeros((12, 2)) + 100
    sizes = np.full((12, 2), 10.0)
    centres = spread(anchors, sizes, bounds=(0, 0, 200, 200), gap=2)
    assert tuple(centres[0]) == (100, 100)
    boxes = np.column_stack([centres - 5, centres + 5])
    for (a, b) in itertools.combinations(boxes, 2):
        assert min(a[2], b[2]) - max(a[0], b[0]) <= 0 or min(a[3], b[3]) - max(a[1], b[1]) <= 0
    assert np.all((boxes[:, :2] >= 0) & (boxes[:, 2:] <= 200))
    assert np.array_equal(centres, spread(anchors, sizes, bounds=(0, 0, 200, 200), gap=2))  # deterministic


def test_map_draws_every_cluster_in_its_own_colour_and_marker():
    fig, ax = plt.subplots()
    pc.plot_cluster_map(crowded_map(), ax=ax, annotate=False)
    from matplotlib.markers import MarkerStyle

    assert len(ax.collections) == 20
    assert [to_hex(c.get_facecolor()[0]) for c in ax.collections] == [to_hex(cluster_style(c)[0]) for c in range(20)]
    for cluster, collection in enumerate(ax.collections):
        marker = MarkerStyle(cluster_style(cluster)[1])
        expected = marker.get_path().transformed(marker.get_transform())
        assert np.allclose(collection.get_paths()[0].vertices, expected.vertices)
    plt.close(fig)


# ---------------------------------------------------------------- numbers in the bars


def test_cluster_numbers_written_in_their_tallest_bar_when_they_fit():
    rows = [{"year": 2000 + y, "cluster": c, "label": f"{c}: t", "n_works": (40 if c == y % 12 else 1)}
            for y in range(12) for c in range(12)]
    table = pd.DataFrame(rows)
    table.loc[(table["cluster"] == 11), "n_works"] = 0
    table.loc[(table["cluster"] == 11) & (table["year"] == 2005), "n_works"] = 1  # a sliver: no room for "11"
    fig, ax = plt.subplots(figsize=(10, 4.5), layout="constrained")
    pc.plot_clusters_by_year(table, ax=ax)
    fig.canvas.draw()
    numbers = {t.get_text(): t for t in ax.texts if t.get_text().isdigit()}
    assert set(numbers) == {str(c) for c in range(12)}
    shown = {text for text, t in numbers.items() if t.get_visible()}
    assert shown == {str(c) for c in range(11)}
    bars = [patch for container in ax.containers for patch in container.patches]
    for text in shown:
        extent = numbers[text].get_window_extent()
        assert any(patch.get_window_extent().contains(extent.x0 + 0.5, extent.y0 + 0.5)
                   and patch.get_window_extent().contains(extent.x1 - 0.5, extent.y1 - 0.5) for patch in bars)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("11:") and legend[-1].startswith("0:")  # in the order of the stack
    plt.close(fig)
