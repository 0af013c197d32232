"""Maps to explore, in a real browser: a page with a cluster map and a network map, opened from file://.

The page is a small notebook executed and rendered as ``pb.report`` does it
(peerbib.reporting.execute_notebook, then render_html), on SYNTHETIC data:
works with planted topics (tests/fixtures/synthetic_corpus.py, one with a
hostile title) and the SYNTHETIC tables of tests/test_networks.py. Headless
chromium (the driver of tests/test_browser.py: dialogs recorded, the network
blocked and every request logged) must show both maps with no console error
and no request but file:/data:, a tooltip naming the work under the pointer,
zoom and pan, and each point's link to its DOI, without leaving the page.
Screenshots: tests/output/screenshots/explore_cluster_map.png and explore_network.png.

Skipped, with the reason, where chromium, chromedriver or selenium is missing (as tests/test_browser.py).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

from conftest import REPO
from test_browser import LOCAL_SCHEMES, SCREENSHOTS, _performance_requests, driver, requirements  # noqa: F401
from test_explore_maps import NASTY, NASTY_SHOWN
from test_networks import synthetic_tables

#: Every point of a map: circles and squares are <path>s (a line cap), other shapes <use>, nodes <circle>.
POINTS = ".pb-ex-pts use, .pb-ex-pts circle, .pb-ex-pts path"

CELLS = [
    "%matplotlib inline\nimport sys\nsys.path.insert(0, TESTS)\nimport pandas as pd\nimport peerbib as pb\n"
    "from fixtures.synthetic_corpus import synthetic_works",
    # SYNTHETIC works: DOIs for most, authors, one hostile title
    "works, _ = synthetic_works(150, 3, seed=1)\n"
    "works = works.assign(doi=[None if i % 10 == 0 else f'10.5555/explore.{i}' for i in range(len(works))],\n"
    "                     authors=[f'Author{i}, A.; Second{i}, B.; Third, C.' for i in range(len(works))])\n"
    "works.loc[5, 'title'] = NASTY\n"
    "clusters = pb.cluster_abstracts(works, k=3, random_state=0)\n"
    "ax = pb.plot_cluster_map(clusters)",
    "pb.explore_cluster_map(clusters, works=works)",
    "from types import SimpleNamespace\n"
    "tables = SimpleNamespace(**{name: pd.read_parquet(name + '.parquet') for name in ('works', 'references')})\n"
    "net = pb.network(tables, 'cocitation', random_state=0)\n"
    "ax = pb.plot_network(net, labels=8)",
    "pb.explore_network(net, works=tables, labels=8)",
]


@pytest.fixture(scope="module")
def page(requirements, tmp_path_factory) -> Path:  # noqa: F811
    """The rendered page, written to a temporary folder."""
    from peerbib.reporting import execute_notebook, render_html

    folder = tmp_path_factory.mktemp("explore")
    tables = synthetic_tables()
    tables.works.to_parquet(folder / "works.parquet")
    tables.references.to_parquet(folder / "references.parquet")
    setup = f"TESTS = {str(REPO / 'tests')!r}\nNASTY = {NASTY!r}\n"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup + CELLS[0])]
                                        + [nbformat.v4.new_code_cell(c) for c in CELLS[1:]])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, folder / "maps.ipynb")
    executed = execute_notebook(folder / "maps.ipynb")
    path = folder / "maps.html"
    path.write_text(render_html(executed, title="Maps to explore"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def opened(driver, page):  # noqa: F811
    """The page loaded in the browser; yields (driver, the browser log and the requests while it loaded)."""
    driver.get("about:blank")
    driver.get_log("browser"), driver.get_log("performance")  # reading empties them
    driver.get(page.as_uri())
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 1800, "deviceScaleFactor": 1, "mobile": False})
    # record window.open instead of opening: the test must not leave the file
    driver.execute_script("window.__opened = []; window.open = function (url) { window.__opened.push(url); "
                          "return null; };")
    yield driver, driver.get_log("browser"), _performance_requests(driver)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _maps(driver):
    return driver.find_elements("css selector", "div.pb-explore")


def _view(driver, block) -> str:
    return driver.execute_script("return arguments[0].querySelector('.pb-ex-view').getAttribute('transform')", block)


def _no_errors(driver, console) -> None:
    severe = [e["message"] for e in console + driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe
    assert driver.execute_script("return window.__dialogs.length") == 0


def test_both_maps_load_with_no_request_leaving_the_file_and_no_console_error(opened):
    driver, console, requests = opened
    assert [urlsplit(u).scheme for u in requests if urlsplit(u).scheme not in LOCAL_SCHEMES] == [], requests
    assert any(u.startswith("file:") for u in requests)  # the log was read: the page itself is in it
    maps = _maps(driver)
    assert len(maps) == 2
    for block in maps:
        assert block.get_attribute("data-live") == "1"  # its script ran
        assert block.find_element("css selector", "svg").size["height"] > 200
        assert block.find_element("css selector", ".pb-ex-tools").is_displayed()
    resources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(urlsplit(u).scheme in LOCAL_SCHEMES for u in resources), resources
    assert len(driver.find_elements("css selector", "img[src^='data:image/png']")) >= 2  # the static maps stay
    _no_errors(driver, console)


def _point(driver, block, first_line: str):
    """The focusable element (<a>) of the point whose tooltip starts with ``first_line``, and its index."""
    index = driver.execute_script(
        "const data = JSON.parse(arguments[0].querySelector('script[type=\"application/json\"]').textContent);"
        "return data.tips.findIndex(t => t[0] === arguments[1]);", block, first_line)
    assert index >= 0, first_line
    points = block.find_elements("css selector", POINTS)
    return points[index], index


def test_hovering_a_point_shows_its_work_and_its_link_is_its_doi(opened):
    from selenium.webdriver import ActionChains

    driver, console, _ = opened
    block = _maps(driver)[0]
    tip = block.find_element("css selector", ".pb-ex-tip")
    # a point drawn last, so that nothing covers it
    points = block.find_elements("css selector", POINTS)
    target = points[-1]
    ActionChains(driver).move_to_element(target).perform()
    on = driver.execute_script("const pts = Array.from(arguments[0].querySelectorAll(arguments[1]));"
                               "return pts.indexOf(arguments[0].querySelector('.pb-ex-on'));", block, POINTS)
    assert on >= 0 and tip.is_displayed()
    tips = driver.execute_script(
        "return JSON.parse(arguments[0].querySelector('script[type=\"application/json\"]').textContent).tips", block)
    assert tip.text.splitlines()[0] == tips[on][0]
    assert any(line.startswith("Cluster ") for line in tip.text.splitlines())
    # the hostile title, focused from the keyboard's side: shown as text, nothing run
    nasty, index = _point(driver, block, NASTY_SHOWN)
    link = nasty.find_element("xpath", "..")
    assert link.tag_name == "a" and link.get_dom_attribute("href") == "https://doi.org/10.5555/explore.5"
    driver.execute_script("arguments[0].focus()", link)
    assert tip.text.splitlines()[0] == NASTY_SHOWN
    assert "Click or press Enter: doi.org/10.5555/explore.5" in tip.text
    assert not driver.find_elements("css selector", "img[src='x']")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    block.screenshot(str(SCREENSHOTS / "explore_cluster_map.png"))
    _no_errors(driver, console)


def test_a_click_or_enter_opens_the_doi_without_leaving_the_page(opened):
    from selenium.webdriver import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver, console, _ = opened
    block = _maps(driver)[0]
    driver.execute_script("window.__opened.length = 0")
    points = block.find_elements("css selector", ".pb-ex-pts a > *")
    target = points[-1]
    href = target.find_element("xpath", "..").get_dom_attribute("href")
    ActionChains(driver).move_to_element(target).click().perform()
    nasty, _ = _point(driver, block, NASTY_SHOWN)
    driver.execute_script("arguments[0].parentNode.focus()", nasty)
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    assert driver.execute_script("return window.__opened") == [href, "https://doi.org/10.5555/explore.5"]
    assert re.match(r"https://doi\.org/10\.5555/explore\.\d+$", href)
    assert driver.current_url.startswith("file:")
    _no_errors(driver, console)


def test_the_keyboard_steps_through_the_points(opened):
    from selenium.webdriver import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver, console, _ = opened
    block = _maps(driver)[0]
    svg = block.find_element("css selector", "svg")
    # one tab stop among the points: the first, or the one focused last (a "roving" tabindex)
    start = driver.execute_script(
        "const pts = Array.from(arguments[0].querySelectorAll(arguments[1]));"
        "return pts.findIndex(p => (p.parentNode.tagName === 'a' ? p.parentNode : p)"
        ".getAttribute('tabindex') === '0');",
        block, POINTS)
    tips = driver.execute_script(
        "return JSON.parse(arguments[0].querySelector('script[type=\"application/json\"]').textContent).tips", block)
    driver.execute_script("arguments[0].focus()", svg)
    ActionChains(driver).send_keys(Keys.TAB).perform()  # from the map to that point
    tip = block.find_element("css selector", ".pb-ex-tip")
    assert start >= 0 and tip.text.splitlines()[0] == tips[start][0]
    ActionChains(driver).send_keys(Keys.ARROW_RIGHT).send_keys(Keys.ARROW_RIGHT).perform()
    assert tip.text.splitlines()[0] == tips[(start + 2) % len(tips)][0]
    ActionChains(driver).send_keys(Keys.ARROW_LEFT).perform()
    assert tip.text.splitlines()[0] == tips[(start + 1) % len(tips)][0]
    focused = driver.execute_script("return document.activeElement.getAttribute('tabindex')")
    assert focused == "0" and len(block.find_elements("css selector", ".pb-ex-pts [tabindex='0']")) == 1
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    _no_errors(driver, console)


def test_the_wheel_the_buttons_and_a_drag_change_the_view(opened):
    from selenium.webdriver import ActionChains
    from selenium.webdriver.common.actions.wheel_input import ScrollOrigin

    driver, console, _ = opened
    block = _maps(driver)[1]
    driver.execute_script("arguments[0].scrollIntoView()", block)
    svg = block.find_element("css selector", "svg")
    start = _view(driver, block)
    assert "scale(1.0000)" in start
    block.find_element("css selector", "button[data-zoom='in']").click()
    assert "scale(1.5000)" in _view(driver, block)
    ActionChains(driver).scroll_from_origin(ScrollOrigin.from_element(svg, 0, 0), 0, -200).perform()
    scale = float(re.search(r"scale\(([\d.]+)\)", _view(driver, block)).group(1))
    assert scale > 1.5
    before = _view(driver, block)
    corner = ScrollOrigin.from_element(svg, -svg.size["width"] // 2 + 15, svg.size["height"] // 2 - 15)
    ActionChains(driver).move_to_element_with_offset(svg, corner.x_offset, corner.y_offset).click_and_hold() \
        .move_by_offset(60, -40).release().perform()
    after = _view(driver, block)
    assert after != before and f"scale({scale:.4f})" in after  # panned, not zoomed
    # node hover on the network: its label and weight
    node, _ = _point(driver, block, json.loads(driver.execute_script(
        "return JSON.stringify(JSON.parse(arguments[0].querySelector('script[type=\"application/json\"]')"
        ".textContent).tips[0][0])", block)))
    block.find_element("css selector", "button[data-zoom='reset']").click()
    assert "scale(1.0000)" in _view(driver, block)
    ActionChains(driver).move_to_element(node).perform()
    tip = block.find_element("css selector", ".pb-ex-tip")
    assert tip.is_displayed() and "weight" in tip.text and "Cluster" in tip.text
    block.screenshot(str(SCREENSHOTS / "explore_network.png"))
    _no_errors(driver, console)


def test_a_printed_page_shows_the_static_maps_not_the_explorable_ones(opened):
    driver, console, _ = opened
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        shown = driver.execute_script("return Array.from(document.querySelectorAll('div.pb-explore'))"
                                      ".map(e => getComputedStyle(e).display)")
        images = driver.execute_script("return Array.from(document.querySelectorAll('img'))"
                                       ".filter(i => i.getBoundingClientRect().height > 0).length")
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert shown == ["none", "none"] and images >= 2
    _no_errors(driver, console)


def test_without_scripts_the_maps_still_show(driver, page):  # noqa: F811
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get("about:blank")
    driver.get_log("browser")
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        driver.get(page.as_uri())
        WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete"
                                        and len(_maps(d)) == 2)
        heights = [m.find_element("css selector", "svg").size["height"] for m in _maps(driver)]
        points = len(driver.find_elements("css selector", POINTS))
        tools = [t.is_displayed() for t in driver.find_elements("css selector", ".pb-ex-tools")]
        console = driver.get_log("browser")
    finally:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    assert len(heights) == 2 and min(heights) > 200 and points > 150
    assert tools == [False, False]  # the buttons wait for the script
    assert not [e for e in console if e["level"] == "SEVERE"], console
