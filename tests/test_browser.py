"""peerbib report, opened in a real browser (headless Debian chromium through chromedriver).

One report run on a copy of the bundled data plus a SYNTHETIC corpus file of
script-injection strings, one browser for the module. Each page must load
with no console error, no dialog (alert/confirm/prompt), no request leaving
file:/data: (the network is blocked, and any attempt is recorded), every
image decoded, and the injection strings shown as text, never as markup.
A full-page screenshot of each page is saved to tests/output/screenshots/.

Skipped, with the reason, when /usr/bin/chromium, /usr/bin/chromedriver or
selenium is missing (``sudo apt-get install chromium chromium-driver
fonts-noto-cjk``; ``python -m pip install '.[test]'``). selenium-manager is never
used: the driver and browser paths are given.
"""
from __future__ import annotations

import base64
import csv
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import peerbib as pb
from conftest import REPO
from peerbib.project import shipped_notebooks

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
except ImportError as error:  # the test extra is not installed
    webdriver = Service = None
    SELENIUM_ERROR = f"{type(error).__name__}: {error}"
else:
    SELENIUM_ERROR = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL_HINT = "sudo apt-get install chromium chromium-driver fonts-noto-cjk (Debian/Ubuntu); .ci/run does this"
SCREENSHOTS = REPO / "tests" / "output" / "screenshots"
WIDTH, HEIGHT, MAX_SHOT_HEIGHT = 1280, 2000, 20000
PAGE_TIMEOUT = 60  # seconds: loading one page, and one script run in it

# One page per shipped notebook (pb.report() runs these when the project has no
# notebooks/ folder) and the index; test_every_page_is_checked keeps this honest.
PAGES = [p.stem for p in sorted(shipped_notebooks().glob("*.ipynb"))] + ["index"]
LISTING_PAGE = "01_publication_years"  # pb.list_works: titles, authors and venues as text

INJECTIONS = ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>", '"><svg onload=alert(3)>')

# Schemes a self-contained report may load from; anything else is a network request.
LOCAL_SCHEMES = {"file", "data", "blob", "about"}

# Installed before any page script runs: dialogs are recorded, not shown.
DIALOG_RECORDER = """
(() => {
  const calls = [];
  Object.defineProperty(window, "__dialogs", {value: calls, configurable: false});
  for (const name of ["alert", "confirm", "prompt"]) {
    window[name] = function (...args) {
      calls.push({name: name, args: args.map(String)});
      return name === "confirm" ? false : null;
    };
  }
})();
"""

# Run in the page once it has loaded and is laid out at full height.
INSPECT_PAGE = """
return (async () => {
const images = Array.from(document.images);
await Promise.all(images.map(img => img.decode().catch(() => null)));
await document.fonts.ready;
const live = [];
for (const s of document.scripts) {
  // a data block (the maps' application/json) is never run: the injected text in it is data, as on the page
  const runs = ["", "text/javascript", "application/javascript", "module"].includes(s.type.toLowerCase());
  if (runs && /alert/.test(s.textContent)) live.push("script: " + s.outerHTML.slice(0, 200));
  if (!runs && /</.test(s.textContent)) live.push("data block holding '<': " + s.outerHTML.slice(0, 200));
}
const flagged = new Set(document.querySelectorAll("svg[onload], img[onerror]"));
for (const el of document.querySelectorAll("*")) {
  if (Array.from(el.attributes).some(a => a.name.startsWith("on") && /alert/.test(a.value))) flagged.add(el);
}
for (const el of flagged) live.push("element: " + el.outerHTML.slice(0, 200));
return {
  dialogs: Array.from(window.__dialogs || []),
  recorder: Array.isArray(window.__dialogs),
  images: images.map(img => ({src: (img.currentSrc || img.src).slice(0, 80), complete: img.complete,
                               width: img.naturalWidth})),
  resources: performance.getEntriesByType("resource").map(e => e.name),
  // an SVG link's href is an SVGAnimatedString: its attribute, resolved against the page, is the URL
  links: Array.from(document.querySelectorAll("a[href]"))
    .map(a => typeof a.href === "string" ? a.href : new URL(a.getAttribute("href"), document.baseURI).href),
  missing_anchors: Array.from(document.querySelectorAll("a[href*='#']"))
    .filter(a => a.protocol === location.protocol && a.pathname === location.pathname && a.hash.length > 1)
    .filter(a => !document.getElementById(decodeURIComponent(a.hash.slice(1))))
    .map(a => a.getAttribute("href")),
  live: Array.from(new Set(live)),
  text: document.body ? document.body.innerText : "",
};
})();
"""


def _missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    absent = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if absent:
        return f"browser test needs Debian's chromium and chromedriver; missing: {', '.join(absent)}. " \
               f"Install: {INSTALL_HINT}"
    if SELENIUM_ERROR:
        return f"browser test needs selenium ({SELENIUM_ERROR}). Install: python -m pip install '.[test]'"
    return None


@pytest.fixture(scope="module")
def requirements():
    reason = _missing()
    if reason:
        pytest.skip(reason)


def _write_injection_corpus(path: Path) -> None:
    # SYNTHETIC rows: made-up works whose text fields hold script-injection
    # strings among ordinary words. The report must show them as text.
    rows = []
    for i in range(3):
        a, b, c = (INJECTIONS[(i + k) % 3] for k in range(3))
        rows.append({
            "doi": f"10.5555/injection.{i + 1}",
            "title": f"{a} SYNTHETIC peer work {i + 1}",
            "authors": f"{b} Ada Example; Ben Sample",
            "publication_year": 2019 + i,
            "venue": f"{c} Journal of Tests",
            "abstract": f"Peer support workers in mental health services {a} were interviewed about "
                        f"training {b} and supervision {c} in community teams.",
        })
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def reports(requirements, tmp_path_factory) -> Path:
    """The reports/ folder of one `pb.report()` run on the bundled data and the injection corpus."""
    root = tmp_path_factory.mktemp("browser") / "project"
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    _write_injection_corpus(root / "data" / "raw" / "corpus" / "injection_corpus.csv")
    # no notebooks/ folder: pb.report() runs the notebooks shipped with peerbib
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERBIB_PROJECT", str(root))
        pb.report()
    return root / "reports"


@pytest.fixture(scope="module")
def driver(requirements, tmp_path_factory):
    """Headless chromium, dialogs recorded and the network blocked before any page loads."""
    tmp = tmp_path_factory.mktemp("chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--user-data-dir={tmp / 'profile'}", f"--window-size={WIDTH},{HEIGHT}",
                     "--force-device-scale-factor=1", "--hide-scrollbars", "--no-first-run",
                     "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(tmp / "chromedriver.log"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_AVOID_STATS", "true")  # selenium-manager is not run (paths given); no stats if it were
        patch.setenv("SE_OFFLINE", "true")  # nor any download, should it run all the same
        browser = webdriver.Chrome(service=service, options=options)
        try:
            browser.set_page_load_timeout(PAGE_TIMEOUT)
            browser.set_script_timeout(PAGE_TIMEOUT)
            browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": DIALOG_RECORDER})
            browser.execute_cdp_cmd("Network.enable", {})
            browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*"]})
            yield browser
        finally:
            browser.quit()


@dataclass
class Visit:
    """What one report page did in the browser."""
    name: str
    console: list = field(default_factory=list)  # browser log entries
    requests: list = field(default_factory=list)  # URLs of every request the page made
    page: dict = field(default_factory=dict)  # INSPECT_PAGE's result
    screenshot: Path | None = None

    def problems(self) -> list[str]:
        found = [f"console {e['level']}: {e['message']}" for e in self.console if e["level"] == "SEVERE"]
        if not self.page.get("recorder"):
            found.append("the dialog recorder was not installed: dialogs could not be checked")
        found += [f"dialog {d['name']}({', '.join(d['args'])})" for d in self.page.get("dialogs", [])]
        remote = {u for u in self.requests + self.page.get("resources", []) if urlsplit(u).scheme not in LOCAL_SCHEMES}
        found += [f"non-local resource load (not self-contained): {_short(u)}" for u in sorted(remote)]
        found += [f"image not loaded ({i['src']}...): complete={i['complete']}, naturalWidth={i['width']}"
                  for i in self.page.get("images", []) if not (i["complete"] and i["width"] > 0)]
        found += [f"injection is live markup: {m}" for m in self.page.get("live", [])]
        for link in self.page.get("links", []):
            parts = urlsplit(link)
            if parts.scheme == "file" and not Path(unquote(parts.path)).exists():
                found.append(f"broken local link: {_short(link)}")
        found += [f"link to a missing anchor: {a}" for a in self.page.get("missing_anchors", [])]
        return found


def _short(url: str, limit: int = 120) -> str:
    return url if len(url) <= limit else url[:limit] + "..."


def _performance_requests(driver) -> list[str]:
    """URLs of the requests in the performance log since it was last read (and so emptied)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(params["request"]["url"])
        elif message.get("method") == "Network.webSocketCreated":
            urls.append(params["url"])
    return urls


def _open(driver, path: Path, prefix: str = "") -> Visit:
    visit = Visit(prefix + path.stem)
    driver.get("about:blank")  # the previous page is gone: what the logs hold next is this page's
    driver.get_log("browser"), driver.get_log("performance")  # reading empties them
    driver.get(path.as_uri())
    height = driver.execute_script(
        "return Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)")
    height = max(1, min(int(height), MAX_SHOT_HEIGHT))
    # lay the whole page out in the viewport: lazy content loads, the screenshot takes it all
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False})
    try:
        visit.page = driver.execute_script(INSPECT_PAGE)
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1}})
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    visit.screenshot = SCREENSHOTS / f"{prefix}{path.stem}.png"
    visit.screenshot.write_bytes(base64.b64decode(shot["data"]))
    visit.console = driver.get_log("browser")
    visit.requests = _performance_requests(driver)
    return visit


@pytest.fixture(scope="module")
def visit(driver, reports):
    """visit(page_stem) -> Visit: each page opened once, on first use."""
    if SCREENSHOTS.is_dir():
        for old in SCREENSHOTS.glob("*.png"):
            old.unlink()
    cache: dict[str, Visit] = {}

    def _visit(stem: str) -> Visit:
        if stem not in cache:
            path = reports / f"{stem}.html"
            assert path.is_file(), f"{path.name}: not written by pb.report()"
            cache[stem] = _open(driver, path)
        return cache[stem]

    return _visit


def test_every_page_is_checked(reports):
    assert sorted(p.stem for p in reports.glob("*.html")) == sorted(PAGES)


@pytest.mark.parametrize("stem", PAGES)
def test_page_in_browser(visit, stem):
    result = visit(stem)
    problems = result.problems()
    if problems:
        pytest.fail(f"{stem}.html (screenshot {result.screenshot}):\n  " + "\n  ".join(problems), pytrace=False)
    assert result.screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert result.page["text"].strip(), f"{stem}.html shows no text"


def test_injected_strings_are_shown_as_text(visit):
    texts = {stem: visit(stem).page["text"] for stem in PAGES}
    assert INJECTIONS[0] in texts[LISTING_PAGE], f"{LISTING_PAGE}.html does not list the SYNTHETIC works as text"
    for injection in INJECTIONS:
        assert any(injection in text for text in texts.values()), f"{injection!r} is visible in no page"


# --- a large corpus: 20,000 SYNTHETIC works ------------------------------------------------------------

LARGE = 20_000


@pytest.fixture(scope="module")
def large_reports(requirements, tmp_path_factory) -> Path:
    """The reports of a SYNTHETIC corpus of 20,000 works (tests/fixtures/synthetic_corpus.py: invented
    words in 12 planted topics), with invented authors, venues and types, and no snapshot."""
    import numpy as np
    from fixtures.synthetic_corpus import synthetic_works

    works, _ = synthetic_works(LARGE, 12, seed=3)
    rng = np.random.default_rng(3)
    venues = [f"SYNTHETIC Journal of Invented Studies {i}" for i in range(400)]
    frame = works.drop(columns=["work_id", "is_corpus"]).assign(
        doi=[f"10.5555/large.{i}" for i in range(LARGE)],
        authors=[f"Author{i}, A.; Writer{i % 97}, B." for i in range(LARGE)],
        venue=rng.choice(venues, size=LARGE),
        type=rng.choice(["article", "review", "book-chapter"], size=LARGE, p=[0.8, 0.15, 0.05]),
        publication_year=rng.integers(1990, 2026, size=LARGE),
    )
    root = tmp_path_factory.mktemp("large") / "project"
    (root / "data" / "raw" / "corpus").mkdir(parents=True)
    frame.to_csv(root / "data" / "raw" / "corpus" / "large_SYNTHETIC_corpus.csv", index=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERBIB_PROJECT", str(root))
        pb.report()
    return root / "reports"


def test_a_large_corpus_reads_in_a_browser(driver, large_reports):
    """At 20,000 works: every page loads clean, no table is cut without saying so, and each figure is
    drawn at a size a reader can take in (screenshots: tests/output/screenshots/large_*.png)."""
    failures = []
    for stem in PAGES:
        visit = _open(driver, large_reports / f"{stem}.html", prefix="large_")
        failures += [f"{stem}: {p}" for p in visit.problems()]
        html = (large_reports / f"{stem}.html").read_text(encoding="utf-8")
        for width, height in _png_sizes(html):
            if not (300 <= width <= 2400 and 150 <= height <= 3000):
                failures.append(f"{stem}: a figure of {width} x {height} px")
    listing = (large_reports / "01_publication_years.html").read_text(encoding="utf-8")
    assert f"showing 100 of {LARGE:,} rows" in listing and "data/processed" not in listing  # said, in words
    assert "…" not in _text_cells(listing)
    assert not failures, "\n".join(failures)


def _png_sizes(html: str):
    """(width, height) of every embedded PNG, read from its header."""
    import re
    import struct

    for data in re.findall(r'<img[^>]+src="data:image/png;base64,([^"]+)"', html):
        head = base64.b64decode(data[:64] + "=" * (-len(data[:64]) % 4))
        yield struct.unpack(">II", head[16:24])


def _text_cells(html: str) -> str:
    import re

    return " ".join(re.findall(r'<td class="pb-text">(.*?)</td>', html))


@pytest.fixture(scope="module")
def mapped_reports(requirements, tmp_path_factory) -> Path:
    """The science-maps page of a corpus fetched through the fake OpenAlex (tests/fixtures/mapped_project.py:
    three real records and SYNTHETIC works with references, countries and statements)."""
    from fixtures.mapped_project import write_mapped_project

    root = write_mapped_project(tmp_path_factory.mktemp("mapped") / "project")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERBIB_PROJECT", str(root))
        pb.report(only=["04"], progress=False)
    return root / "reports"


def test_the_science_maps_of_a_fetched_corpus_read_in_a_browser(driver, mapped_reports):
    result = _open(driver, mapped_reports / "04_literature_connections.html", prefix="fetched_")
    problems = result.problems()
    if problems:
        pytest.fail(f"fetched 04_literature_connections.html (screenshot {result.screenshot}):\n  "
                    + "\n  ".join(problems), pytrace=False)
    text = result.page["text"]
    for part in ("Co-citation", "Bibliographic coupling", "Co-authorship of countries", "Historiograph",
                 "Who supports and who contrasts whom"):
        assert part in text, part
    downloads = [link for link in result.page["links"] if link.startswith("data:")]
    assert len(downloads) >= 15  # five files for each of the three maps
    assert len(result.page["images"]) >= 10


# --- a Scopus + Web of Science project, never fetched ---------------------------------------------------


@pytest.fixture(scope="module")
def exported_reports(requirements, tmp_path_factory) -> Path:
    """Every page of a project made from the repository's Scopus and Web of Science export samples
    (tests/fixtures/exports/, real records of one search), never fetched, with a searches.csv (SYNTHETIC row)."""
    root = tmp_path_factory.mktemp("exported") / "project"
    corpus = root / "data" / "raw" / "corpus"
    corpus.mkdir(parents=True)
    for name in ("scopus_peer.csv", "wos_peer.txt"):
        shutil.copy(REPO / "tests" / "fixtures" / "exports" / name, corpus / name)
    (corpus / "searches.csv").write_text("database,query,date,records\n"
                                         'Scopus,"TITLE-ABS-KEY(peer support)",2022-05-01,40\n', encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERBIB_PROJECT", str(root))
        pb.report()
    return root / "reports"


def test_a_scopus_and_wos_project_reads_in_a_browser(driver, exported_reports):
    """Every page and the index of the never-fetched export project load clean; each page's figures and
    tables are linked as files (screenshots: tests/output/screenshots/exported_*.png)."""
    failures = []
    for stem in PAGES:
        visit = _open(driver, exported_reports / f"{stem}.html", prefix="exported_")
        failures += [f"{stem}: {p}" for p in visit.problems()]
        assert visit.screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert not failures, "\n".join(failures)
    for stem in PAGES:
        page = (exported_reports / f"{stem}.html").read_text(encoding="utf-8")
        for link in re.findall(r'<a download="" href="([^"]+)"', page):
            assert (exported_reports / link).is_file(), f"{stem}: {link} is linked but missing"
