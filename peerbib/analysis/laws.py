"""Lotka's and Bradford's laws of the corpus: authors by number of works, and sources in Bradford's zones.

Each function returns a DataFrame and has a ``plot_*`` twin here that draws
it (and takes the tables too). Counting is full counting, as in
:mod:`peerbib.analysis.indicators`: a work with three authors counts once for
each of them.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .networks.plots import drawn_label as _cut
from .networks.units import work_units
from .present import PALETTE, legend_as_written, new_axes

__all__ = ["lotka", "plot_lotka", "bradford", "plot_bradford"]


# --- Lotka ------------------------------------------------------------------------------------------------


def lotka(tables) -> pd.DataFrame:
    """Authors by number of works (Lotka's law): observed, fitted power law, and Lotka's own (exponent 2).

    Returns
    -------
    DataFrame
        ``works`` (works per author), ``authors`` (how many authors wrote that
        many), ``observed_share``, ``fitted_share`` (C / works^beta, fitted by least
        squares on log10 share against log10 works) and ``lotka_share`` (6/pi² /
        works²). ``attrs``: ``exponent`` (beta), ``constant`` (C), ``r2``,
        ``authors``; the exponent is missing with fewer than two distinct counts.
    """
    carried = work_units(tables, "authors")
    per_author = carried.groupby("unit_id")["work_id"].nunique()
    counts = per_author.value_counts().sort_index()
    out = pd.DataFrame({"works": counts.index.to_numpy(dtype="int64"), "authors": counts.to_numpy(dtype="int64")})
    total = int(out["authors"].sum())
    out["observed_share"] = out["authors"] / total if total else np.nan
    exponent = constant = r2 = float("nan")
    if len(out) >= 2:
        x, y = np.log10(out["works"].to_numpy(float)), np.log10(out["observed_share"].to_numpy(float))
        slope, intercept = np.polyfit(x, y, 1)
        exponent, constant = -float(slope), float(10 ** intercept)
        fitted = intercept + slope * x
        total_ss = float(((y - y.mean()) ** 2).sum())
        r2 = 1 - float(((y - fitted) ** 2).sum()) / total_ss if total_ss > 0 else float("nan")
        out["fitted_share"] = constant * out["works"].to_numpy(float) ** -exponent
    else:
        out["fitted_share"] = np.nan
    out["lotka_share"] = (6 / math.pi ** 2) / out["works"].to_numpy(float) ** 2
    out.attrs.update(exponent=exponent, constant=constant, r2=r2, authors=total,
                     source=carried.attrs.get("source", "authors"))
    return out


def plot_lotka(table, *, ax=None, title: str | None = None):
    """Share of authors by number of works, log-log: observed, the fitted power law and Lotka's (exponent 2)."""
    if not isinstance(table, pd.DataFrame):
        table = lotka(table)
    ax = new_axes(ax, (7, 4.5))
    if not len(table):
        ax.text(0.5, 0.5, "no authors in these tables", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    ax.scatter(table["works"], table["observed_share"], color=PALETTE[0], zorder=3, label="observed")
    beta = table.attrs.get("exponent", float("nan"))
    if not math.isnan(beta):
        ax.plot(table["works"], table["fitted_share"], color=PALETTE[1],
                label=f"fitted: C / n^{beta:.2f} (R² {table.attrs.get('r2', float('nan')):.2f})")
    ax.plot(table["works"], table["lotka_share"], color="#777", linestyle="--", label="Lotka: 0.61 / n²")
    ax.set_xscale("log")
    ax.set_yscale("log")
    legend_as_written(ax.legend(frameon=False, fontsize="small"))
    ax.set_xlabel(f"works per author (n)\n{table.attrs.get('authors', 0):,} authors, from "
                  f"{table.attrs.get('source', 'authors')}", parse_math=False)
    ax.set_ylabel("share of authors")
    ax.set_title(title or "Lotka's law: authors by number of works", parse_math=False)
    return ax


# --- Bradford ---------------------------------------------------------------------------------------------


def bradford(tables) -> pd.DataFrame:
    """Sources in Bradford's three zones, each holding about a third of the corpus works.

    Sources are ranked by works (most first, ties by name); a source is in the
    zone where its first work falls: zone 1 while the works of the sources
    before it are fewer than a third of all, zone 2 while fewer than two
    thirds, zone 3 after.

    Returns
    -------
    DataFrame
        ``rank, id, source, works, cumulative_works, cumulative_share, zone``.
        ``attrs["zones"]``: sources and works per zone.
    """
    carried = work_units(tables, "sources")
    grouped = carried.groupby("unit_id")
    out = pd.DataFrame({"source": grouped["label"].first(), "works": grouped["work_id"].nunique()})
    out = out.rename_axis("id").reset_index().sort_values(["works", "source", "id"], ascending=[False, True, True],
                                                          kind="mergesort").reset_index(drop=True)
    total = int(out["works"].sum())
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out["cumulative_works"] = out["works"].cumsum()
    out["cumulative_share"] = out["cumulative_works"] / total if total else np.nan
    before = out["cumulative_works"] - out["works"]
    out["zone"] = np.where(before * 3 < total, 1, np.where(before * 3 < 2 * total, 2, 3)).astype("int64")
    zones = out.groupby("zone").agg(sources=("id", "size"), works=("works", "sum"))
    out.attrs["zones"] = {int(z): {"sources": int(r.sources), "works": int(r.works)} for z, r in zones.iterrows()}
    out.attrs["works"] = total
    return out


def plot_bradford(table, *, ax=None, labels: int = 8, title: str | None = None):
    """Cumulative works against source rank (log), the core zone shaded and its sources named."""
    if not isinstance(table, pd.DataFrame):
        table = bradford(table)
    ax = new_axes(ax, (9, 4.5))
    if not len(table):
        ax.text(0.5, 0.5, "no sources (works.venue) in these tables", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    ax.plot(table["rank"], table["cumulative_works"], color=PALETTE[0], marker="o", markersize=3)
    zones = table.groupby("zone")["rank"].agg(["min", "max"])
    shades = {1: "#E69F0033", 2: "#56B4E922", 3: "#99999911"}
    for zone, (low, high) in zones.iterrows():
        ax.axvspan(low - 0.5, high + 0.5, color=shades.get(int(zone), "#eee"),
                   label=f"zone {zone}: {high - low + 1} sources, {table.attrs['zones'][int(zone)]['works']} works")
    for row in table[table["zone"] == 1].head(labels).itertuples(index=False):
        ax.annotate(_cut(row.source, 35), (row.rank, row.cumulative_works), xytext=(4, -10),
                    textcoords="offset points", fontsize="x-small", rotation=-20, annotation_clip=True
                    ).set_parse_math(False)
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))  # ranks, not powers of ten
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("source rank (log scale)")
    ax.set_ylabel("cumulative works")
    legend_as_written(ax.legend(frameon=False, fontsize="small", loc="lower right"))
    ax.set_title(title or "Bradford's law: core sources", parse_math=False)
    return ax
