"""Maps to explore (pb.explore_cluster_map, pb.explore_network): what their HTML holds, read with lxml.

The data are SYNTHETIC: works with planted topics (tests/fixtures/synthetic_corpus.py) and the SYNTHETIC
tables of tests/test_networks.py. The browser side is tests/test_browser_maps.py.
"""
from __future__ import annotations

import json
import re

import lxml.html
import numpy as np
import pandas as pd
import pytest

import peerbib as pb
from fixtures.synthetic_corpus import synthetic_works
from peerbib.analysis.explore import ExploreMap
from peerbib.analysis.networks import network_map
from peerbib.analysis.present import cluster_style
from peerbib.errors import AnalysisError
from test_networks import HOSTILE, synthetic_tables

#: A title that tries everything: ending the script element, markup, quotes, TeX dollars, control characters.
NASTY = '</script><script>alert("t")</script> <img src=x onerror=alert(1)> "q" \'s\' $x$ a\x00b\x07c\u2028d & e'

#: The nasty title as a tooltip shows it: as written, on one line (control characters and the line separator
#: become spaces).
NASTY_SHOWN = '</script><script>alert("t")</script> <img src=x onerror=alert(1)> "q" \'s\' $x$ a b c d & e'


@pytest.fixture(scope="module")
def works():
    """SYNTHETIC works in 3 planted topics, with DOIs for most, authors, and one nasty title."""
    frame, _ = synthetic_works(120, 3, seed=1)
    frame = frame.assign(doi=[None if i % 10 == 0 else f"10.5555/explore.{i}" for i in range(len(frame))],
                         authors=[f"Author{i}, A.; Second{i}, B.; Third, C." for i in range(len(frame))])
    frame.loc[5, "title"] = NASTY
    return frame


@pytest.fixture(scope="module")
def clustering(works):
    return pb.cluster_abstracts(works, k=3, random_state=0)


@pytest.fixture(scope="module")
def network_tables():
    return synthetic_tables()


def _block(fragment: str):
    """The map's root element, parsed as a browser would (lxml's HTML parser)."""
    roots = lxml.html.fragments_fromstring(fragment)
    assert len(roots) == 1
    return roots[0]


def _data(root) -> dict:
    scripts = root.xpath(".//script[@type='application/json']")
    assert len(scripts) == 1
    return json.loads(scripts[0].text)


def _xy(element) -> tuple[float, float]:
    """Where a point is drawn: a <path d="Mx yh0">, a <use x y> or a <circle cx cy>."""
    if element.tag == "path":
        x, y = re.fullmatch(r"M([-\d.]+) ([-\d.]+)h0", element.get("d")).groups()
        return float(x), float(y)
    if element.tag == "use":
        return float(element.get("x")), float(element.get("y"))
    return float(element.get("cx")), float(element.get("cy"))


def _points(root):
    """(element, its <a> or None, its group <g>) of each point, in document order."""
    found = []
    for element in root.xpath(".//g[@class='pb-ex-pts']//*[self::use or self::circle or self::path]"):
        parent = element.getparent()
        link = parent if parent.tag == "a" else None
        found.append((element, link, (link if link is not None else element).getparent()))
    return found


def test_the_cluster_map_draws_the_table_of_the_static_map(clustering, works):
    table = pb.cluster_map(clustering)
    explored = pb.explore_cluster_map(clustering, works=works)
    points = explored.points
    assert list(points["work_id"]) == list(table["work_id"]) and list(points["cluster"]) == list(table["cluster"])
    # positions: the table's, scaled and flipped (y down), rounded to 0.1 of the SVG's 800 x 480
    for axis, sign in (("x", 1), ("y", -1)):
        slope, intercept = np.polyfit(table[axis], points[axis], 1)
        assert np.sign(slope) == sign
        assert np.abs(slope * table[axis] + intercept - points[axis]).max() <= 0.06
    assert points["x"].between(0, 800).all() and points["y"].between(0, 480).all()
    assert list(points["color"]) == [cluster_style(c)[0] for c in table["cluster"]]
    assert list(points["marker"]) == [cluster_style(c)[1] for c in table["cluster"]]
    # the SVG holds the same: each point's <use> in its cluster's colour at its position
    root = _block(explored._repr_html_())
    drawn = _points(root)
    assert len(drawn) == len(points)
    by_position = {_xy(e): g.get("fill") for e, _, g in drawn}
    for row in points.itertuples():
        assert by_position[(row.x, row.y)] == row.color
    groups = _data(root)["groups"]
    names = table.drop_duplicates("cluster").set_index("cluster")["label"]
    for element, link, group in drawn:
        assert groups[int(group.get("data-g"))] == f"Cluster {names[int(group.get('data-g'))]}"


def test_each_cluster_is_drawn_in_the_marker_shape_of_the_static_map():
    """SYNTHETIC: 26 clusters of 4 works, so that circles, squares, triangles and the shapes of clusters 20 on
    (colours again, other shapes) are all drawn."""
    from peerbib.analysis.explore import marker_path

    clusters = np.repeat(np.arange(26), 4)
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"work_id": [f"W{i}" for i in range(104)], "cluster": clusters,
                          "label": [f"{c}: terms" for c in clusters], "text_source": "title",
                          "x": rng.normal(size=104), "y": rng.normal(size=104)})
    explored = pb.explore_cluster_map(table)
    root = _block(explored._repr_html_())
    by_position = explored.points.set_index(["x", "y"])["work_id"]
    seen = set()
    for element, link, group in _points(root):
        cluster = int(group.get("data-g"))
        colour, marker = cluster_style(cluster)
        assert group.get("fill") == colour
        if marker in ("o", "s"):  # a line of no length with a round or square cap, in the cluster's colour
            assert element.tag == "path" and group.get("stroke") == colour
            assert group.get("stroke-linecap") == {"o": "round", "s": "square"}[marker]
        else:
            assert element.tag == "use"
            shape = root.xpath(f".//*[@id='{element.get('href')[1:]}']")[0]
            assert shape.get("d") == marker_path(marker, explored.points["radius"].iloc[0])
        work = by_position[_xy(element)]  # no works table: an OpenAlex id opens its OpenAlex page
        assert link.get("href") == f"https://openalex.org/{work}"
        seen.add(marker)
    assert seen == {"o", "s", "^", "D", "v", "P", "X", "p", "h"}


def test_each_drawn_point_finds_its_own_tooltip(clustering, works, network_tables):
    """The script takes the tooltip of the i-th point drawn (document order) from ``tips[i]``."""
    net = pb.network(network_tables, "cocitation", random_state=0)
    for explored in (pb.explore_cluster_map(clustering, works=works), pb.explore_network(net, works=network_tables)):
        expected = dict(zip(zip(explored.points["x"], explored.points["y"]), map(tuple, explored.tips)))
        root = _block(explored._repr_html_())
        tips = _data(root)["tips"]
        drawn = _points(root)
        assert len(tips) == len(drawn) == len(expected)
        for i, (element, _, _) in enumerate(drawn):
            assert tuple(tips[i]) == expected[_xy(element)]


def test_points_link_to_the_doi_of_their_work_and_nothing_else(clustering, works):
    root = _block(pb.explore_cluster_map(clustering, works=works)._repr_html_())
    by_position = pb.explore_cluster_map(clustering, works=works).points.set_index(["x", "y"])["work_id"]
    doi = works.set_index("work_id")["doi"]
    linked = 0
    for element, link, _ in _points(root):
        work = by_position[_xy(element)]
        if pd.isna(doi[work]):  # no DOI and a local id: no link at all
            assert link is None
        else:
            assert link.get("href") == f"https://doi.org/{doi[work]}"
            linked += 1
    assert linked == works["doi"].notna().sum() > 0


def test_a_hostile_title_is_text_in_the_tooltip_data_and_never_markup(clustering, works):
    fragment = pb.explore_cluster_map(clustering, works=works)._repr_html_()
    root = _block(fragment)
    assert [s.get("type") for s in root.iter("script")] == ["application/json", None]  # only the map's own two
    assert not root.xpath(".//img") and not root.xpath(".//*[@onerror]")
    titles = [tip[0] for tip in _data(root)["tips"]]
    assert titles.count(NASTY_SHOWN) == 1
    assert "\\u003c/script\\u003e" in fragment and "</script><script>alert" not in fragment
    assert "\x00" not in fragment and "\x07" not in fragment


def test_a_hostile_cluster_label_is_escaped_in_the_legend_and_the_title(clustering):
    table = pb.cluster_map(clustering).assign(label=lambda t: t["cluster"].astype("str") + ": " + HOSTILE)
    explored = pb.explore_cluster_map(table, title=HOSTILE)
    root = _block(explored._repr_html_())
    assert root.xpath("string(.//p[@class='pb-ex-title'])") == HOSTILE
    legend = [li.text_content() for li in root.xpath(".//ul[@class='pb-ex-legend']/li")]
    assert len(legend) == 3 and all(HOSTILE.replace("\t", " ") in item for item in legend)
    assert len(root.xpath(".//script")) == 2


def test_two_maps_on_one_page_have_ids_of_their_own(clustering, works, network_tables):
    cluster_map = pb.explore_cluster_map(clustering, works=works)
    net = pb.network(network_tables, "cocitation", random_state=0)
    page = "<div>" + cluster_map._repr_html_() + cluster_map._repr_html_() \
        + pb.explore_network(net, works=network_tables)._repr_html_() + "</div>"
    root = lxml.html.fromstring(page)
    blocks = root.xpath("//div[@class='pb-explore']")
    assert len(blocks) == 3
    ids = root.xpath("//@id")
    assert len(ids) == len(set(ids))
    for block in blocks:  # each block's script and shapes are its own
        own = block.get("id")
        assert block.xpath(".//script[@type='application/json']")[0].get("id") == f"{own}-data"
        code = block.xpath(".//script[not(@type)]")[0].text
        assert json.dumps(own) in code
        for use in block.xpath(".//use"):
            target = use.get("href")
            assert target.startswith(f"#{own}") and block.xpath(f".//*[@id='{target[1:]}']")


def test_nothing_is_loaded_and_links_go_only_to_doi_org_or_openalex(clustering, works, network_tables):
    net = pb.network(network_tables, "cocitation", random_state=0)
    for fragment in (pb.explore_cluster_map(clustering, works=works)._repr_html_(),
                     pb.explore_network(net, works=network_tables)._repr_html_()):
        root = _block(fragment)
        assert not root.xpath(".//@src") and not root.xpath(".//link") and "@import" not in fragment
        own = root.get("id")
        for href in root.xpath(".//@href"):
            assert re.match(r"https://(doi\.org/10\.|openalex\.org/W\d+$)", href) or href.startswith(f"#{own}"), href
        code = root.xpath(".//script[not(@type)]")[0].text
        for word in ("fetch(", "XMLHttpRequest", "eval(", "innerHTML", "import(", "new Function"):
            assert word not in code, word


def test_the_network_draws_the_table_of_the_static_map(network_tables):
    net = pb.network(network_tables, "cocitation", random_state=0)
    table = network_map(net, labels=5)
    explored = pb.explore_network(net, works=network_tables, labels=5)
    nodes, links = table[table["element"] == "node"], table[table["element"] == "link"]
    points = explored.points
    assert list(points["id"]) == list(nodes["id"]) and list(points["color"]) == list(nodes["color"])
    assert list(points["cluster"]) == list(nodes["group"])
    for axis, sign in (("x", 1), ("y", -1)):  # one scale for both axes: the static map's aspect is equal
        slope, _ = np.polyfit(nodes[axis].astype(float), points[axis], 1)
        assert np.sign(slope) == sign
    slope_x = np.polyfit(nodes["x"].astype(float), points["x"], 1)[0]
    slope_y = np.polyfit(nodes["y"].astype(float), points["y"], 1)[0]
    assert slope_x == pytest.approx(-slope_y, rel=1e-3)
    assert (np.diff(points["radius"].to_numpy()[np.argsort(nodes["size"].to_numpy())]) >= 0).all()  # by weight
    root = _block(explored._repr_html_())
    circles = root.xpath(".//g[@class='pb-ex-pts']//circle")
    assert len(circles) == len(nodes)
    fills = {(float(c.get("cx")), float(c.get("cy"))): (c.getparent().getparent() if c.getparent().tag == "a"
                                                        else c.getparent()).get("fill") for c in circles}
    for row in points.itertuples():
        assert fills[(row.x, row.y)] == row.color
    lines = root.xpath(".//g[@class='pb-ex-links']//line")
    assert len(lines) == len(links)
    assert sorted(l.getparent().get("stroke") for l in lines) == sorted(links["color"])
    labels = root.xpath(".//g[@class='pb-ex-labels']//text")
    assert len(labels) == 5 == int(nodes["labelled"].sum())


def test_network_nodes_open_the_doi_of_their_work(network_tables):
    net = pb.network(network_tables, "cocitation", random_state=0)
    doi = network_tables.works.set_index("work_id")["doi"]
    with_works = pb.explore_network(net, works=network_tables).points
    without = pb.explore_network(net).points
    for node, href, fallback in zip(with_works["id"], with_works["href"], without["href"]):
        if node in doi.index:
            assert href == f"https://doi.org/{doi[node]}"
        if node.startswith("W"):  # without the works, a W id opens its OpenAlex page
            assert fallback == f"https://openalex.org/{node}"
        else:
            assert pd.isna(fallback) and (node in doi.index or pd.isna(href))
    assert with_works["href"].str.startswith("https://doi.org/").sum() > 0


def test_a_node_url_that_is_not_doi_org_or_openalex_is_not_linked(network_tables):
    net = pb.network(network_tables, "cocitation", random_state=0)
    net.nodes["url"] = ["javascript:alert(1)", "https://evil.example/x", *net.nodes["url"].iloc[2:]]
    net.nodes["id"] = ["ref:a", "ref:b", *net.nodes["id"].iloc[2:]]
    points = pb.explore_network(net).points
    assert points["href"].iloc[:2].isna().all()
    assert "javascript" not in pb.explore_network(net)._repr_html_()


def test_a_citation_network_by_type_has_the_type_colours_and_dotted_links(network_tables):
    net = pb.network(network_tables, "citation", random_state=0)
    explored = pb.explore_network(net, works=network_tables, color_by="type")
    table = network_map(net, color_by="type")
    root = _block(explored._repr_html_())
    dotted = root.xpath(".//g[@stroke-dasharray]/line")
    assert len(dotted) == int((table["group"] == "no statements").sum()) > 0
    legend = [li.text_content() for li in root.xpath(".//ul[@class='pb-ex-legend']/li")]
    assert "no statements" in legend and set(legend) <= {"supporting", "contrasting", "mentioning", "unclassified",
                                                         "no statements"}


def test_the_map_is_hidden_in_print_and_its_controls_wait_for_the_script(clustering, works):
    from peerbib.reporting import render

    fragment = pb.explore_cluster_map(clustering, works=works)._repr_html_()
    assert "@media print{.pb-explore{display:none !important}}" in fragment
    assert "@media print{.pb-explore{display:none !important}}" in render._PAGE_CSS
    root = _block(fragment)
    assert root.xpath(".//div[@class='pb-ex-tools']")[0].get("hidden") is not None
    assert root.xpath(".//div[@class='pb-ex-tip']")[0].get("hidden") is not None


def test_the_repr_names_the_map_and_what_it_holds(clustering, works):
    text = repr(pb.explore_cluster_map(clustering, works=works))
    assert text.startswith("Clusters") and "120 works (k = 3)" in text
    assert f"120 points ({works['doi'].notna().sum()} with a link)" in text
    assert "<" not in text.split("\n", 1)[1].replace("<script>", "")


def test_bad_input_gets_a_clear_error(clustering):
    with pytest.raises(AnalysisError, match="network_map draws a Network"):
        pb.explore_network(clustering)
    with pytest.raises(AnalysisError, match="works= takes the works table"):
        pb.explore_cluster_map(clustering, works=["not", "a", "table"])
    with pytest.raises(AnalysisError, match="max_points must be 1 or more"):
        pb.explore_cluster_map(clustering, max_points=0)
    with pytest.raises(AnalysisError, match="lacks column"):
        pb.explore_cluster_map(pd.DataFrame({"x": [1.0]}))


def test_a_map_of_20000_works_stays_a_practical_size():
    """SYNTHETIC: 20,000 works in 12 planted topics, 110-character titles, four authors each, a DOI each."""
    n = 20_000
    frame, topics = synthetic_works(n, 12, seed=3, words_per_text=10)
    rng = np.random.default_rng(3)
    table = pd.DataFrame({"work_id": frame["work_id"], "cluster": topics.astype("int64"),
                          "label": [f"{t}: alpha, beta" for t in topics], "text_source": "title+abstract",
                          "x": rng.normal(size=n) + topics, "y": rng.normal(size=n)})
    works = frame.assign(title=[(f"SYNTHETIC {t} " * 8)[:110] for t in frame["title"]],
                         doi=[f"10.5555/large.{i}" for i in range(n)],
                         authors=[f"Author{i}, A.; Writer{i % 97}, B.; Third, C.; Fourth, D." for i in range(n)])
    default = pb.explore_cluster_map(table, works=works)._repr_html_().encode("utf-8")
    every = pb.explore_cluster_map(table, works=works, max_points=n)._repr_html_().encode("utf-8")
    print(f"\n20,000 SYNTHETIC works: {len(default):,} bytes (5,000 drawn), {len(every):,} bytes (all drawn)")
    assert b"20,000 works (k = 12); 5,000 works drawn at random" in default
    assert len(default) < 1_500_000 and len(every) < 6_000_000
    root = _block(every.decode("utf-8"))
    assert len(_points(root)) == n and len(_data(root)["tips"]) == n


def test_the_script_cannot_end_its_element():
    from peerbib.analysis._explore_script import SCRIPT

    assert "</" not in SCRIPT and "<!--" not in SCRIPT and "ID_JSON" in SCRIPT
    assert isinstance(pb.explore_cluster_map, type(pb.plot_cluster_map)) and ExploreMap.__module__.endswith("explore")
