"""Pages 01 and 02 and the index written for the corpus they show: no words about the bundled corpus, no
code in captions, a page with nothing to show saying so in one sentence, DOIs as links, a true footer.

The project rendered here is made from the repository's Scopus and Web of Science export samples
(tests/fixtures/exports/), never fetched. Those samples hold real works of the bundled corpus; the test
renames their first author (SYNTHETIC: "Gillard" becomes "Okonkwo") so that any "Gillard" on a page
can only come from text written for the bundled corpus.
"""
from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import peerbib as pb
from conftest import REPO

EXPORTS = REPO / "tests" / "fixtures" / "exports"
PAGES = ("01_publication_years", "02_citation_types")

#: Text written for the bundled corpus, about files outside the project, or code: none may show.
FORBIDDEN = ("Gillard", "seed", "PRODUCT.md", "pb.", "data/processed/", "(line ", "bundled", "0 of 0",
             "no rows", "scite's label")
#: SYNTHETIC: the search as a user writes it down, with markup that must show as text.
SEARCHES = ('database,query,date,records\n'
            'Scopus,"TITLE-ABS-KEY(""peer review"" AND <i>mental health</i>)",2022-05-01,40\n'
            'Web of Science,"TS=(peer review AND mental health)",2022-05-01,40\n')
PYTHON_CALL = re.compile(r"\b[A-Za-z_]\w*\.[A-Za-z_]\w*\(")


def _visible(page: str) -> str:
    body = re.sub(r"<style.*?</style>|<script.*?</script>|<footer.*?</footer>", " ", page, flags=re.DOTALL)
    body = re.sub(r"<img[^>]*>", " ", body)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture(scope="module")
def exported_project(tmp_path_factory):
    """A Scopus + WoS project, never fetched, with only notebooks 01 and 02 and a searches.csv (SYNTHETIC
    rows), reported into a folder given as an absolute path inside the project; its root."""
    from peerbib import cli

    root = tmp_path_factory.mktemp("exported") / "project"
    corpus = root / "data" / "raw" / "corpus"
    corpus.mkdir(parents=True)
    for name in ("scopus_peer.csv", "wos_peer.txt"):
        text = (EXPORTS / name).read_text(encoding="utf-8-sig")
        (corpus / name).write_text(text.replace("Gillard", "Okonkwo").replace("GILLARD", "OKONKWO"),
                                   encoding="utf-8")
    (corpus / "searches.csv").write_text(SEARCHES, encoding="utf-8")
    (root / "notebooks").mkdir()
    for stem in PAGES:
        shutil.copy(REPO / "notebooks" / f"{stem}.ipynb", root / "notebooks")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERBIB_PROJECT", str(root))
        assert cli.main(["report", "--out", str(root / "public" / "reps"), "--quiet"]) == 0
    return root


@pytest.fixture(scope="module")
def exported(exported_project):
    """The pages of :func:`exported_project`, by stem."""
    root = exported_project
    return {p.stem: p.read_text(encoding="utf-8") for p in (root / "public" / "reps").glob("*.html")}


def test_no_page_of_a_never_fetched_project_speaks_of_another_corpus_or_in_code(exported):
    assert set(exported) == {*PAGES, "index"}
    for stem, page in exported.items():
        text = _visible(page)
        for phrase in FORBIDDEN:
            assert phrase.lower() not in text.lower(), (stem, phrase)
        assert not PYTHON_CALL.search(text), (stem, PYTHON_CALL.search(text).group(0))
    assert "Okonkwo" in _visible(exported["01_publication_years"])  # the works are listed, by their own authors


def test_page_02_without_statements_is_one_sentence_and_no_frame(exported):
    page = exported["02_citation_types"]
    body = page.split("<footer", 1)[0]
    assert "<img" not in body and "<table" not in body
    missing = re.findall(r'<p class="pb-missing"[^>]*>(.*?)</p>', body, flags=re.DOTALL)
    assert len(missing) == 1
    sentence = _visible(missing[0])
    assert sentence.startswith("No citation statements yet: peerbib fetch --fulltext reads them")
    assert "data/raw/statements/" in sentence
    text = _visible(page)  # the title, the page's question, the sentence: nothing else
    assert text.count(".") <= 6 and "Citations per year" not in text and "trust" not in text
    card = exported["index"].split("How is this literature cited?", 1)[1].split("</li>", 1)[0]
    assert "<img" not in card and sentence in _visible(card)
    assert "<img" in exported["index"].split("How has the literature grown?", 1)[1].split("</li>", 1)[0]


def test_the_index_records_the_search_and_its_flow(exported, exported_project):
    from test_search_flow import boxes, expected_flow

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERBIB_PROJECT", str(exported_project))
        tables = pb.load()
    assert {f["file"] for f in tables.info["corpus"]} == {"scopus_peer.csv", "wos_peer.txt"}  # not searches.csv
    expected = expected_flow(tables)
    assert boxes(exported["index"]) == expected and expected["duplicates merged"] > 0
    assert expected["fetched from OpenAlex"] is None and "not fetched" in exported["index"]
    searches = exported["index"].split("<h2>The search</h2>", 1)[1].split("</table>", 1)[0]
    assert "<th scope=\"col\">database</th>" in searches and "Web of Science" in searches
    assert "&lt;i&gt;" in searches and "<i>" not in searches


def test_dois_are_links_and_the_footer_says_the_command_as_run(exported):
    page = exported["01_publication_years"]
    assert '<a href="https://doi.org/10.1186/1472-6963-13-188">10.1186/1472-6963-13-188</a>' in page
    for stem in PAGES:
        footer = exported[stem].split("<footer", 1)[1]
        assert "made by <code>peerbib report --out public/reps</code>" in footer, stem
        assert "--only" not in footer


def test_a_folder_given_outside_the_project_is_named_as_given(tmp_path, monkeypatch):
    from peerbib.reporting import _as_given

    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _as_given("shared/reports", root) == "shared/reports"
    assert _as_given(str(root / "out" / "reps"), root) == "out/reps"
    assert _as_given(str(tmp_path / "home" / "rep_hide"), root) == "~/rep_hide"
    assert _as_given("/srv/rep_hide", root) == "/srv/rep_hide"


# --- the parts, on the bundled data ---------------------------------------------------------------


@pytest.fixture
def bundled(project):
    return pb.build()


def test_evidence_is_said_in_words():
    from peerbib.analysis.citation_types import evidence_in_words

    assert evidence_in_words("'consistent with' + in the Discussion + 'these findings' \u2192 supporting") == \
        "the words 'consistent with' and 'these findings'; it stands in the Discussion"
    below = evidence_in_words("'however' \u2192 contrasting at 0.31, below the 0.45 it needs: unclassified")
    assert below == "the word 'however'; contrasting was the nearest type, at 31%, below the 45% it needs"
    assert evidence_in_words("mentioning: the only cue is weak (contrasting: cue 'however' [however own], "
                             "Introduction x0.8 -> 0.13) -> 0.91") == "the words 'however'"
    assert evidence_in_words(None) is None


def test_example_statements_name_their_citing_work_and_mark_the_callout(bundled):
    statements = bundled.statements
    first = statements.index[0]
    text = statements.loc[first, "text"]
    callout = "(Gillard et al., )" if "(Gillard et al., )" in text else text[text.index("("):text.index(")") + 1]
    statements.loc[first, "callout"] = callout
    examples = pb.example_statements(bundled, per_type=5)
    row = examples[examples["text"] == text].iloc[0]
    assert [row["text"][a:b] for a, b in row["text"].spans] == [callout]
    shown = pb.show_table(examples[["text"]], "x")._repr_html_()
    assert f"<mark>{html.escape(callout)}</mark>" in shown
    assert examples["citing_work"].isna().all()  # the bundled statements do not name who wrote them
    note = examples.attrs["note"]
    assert note.startswith("These statements come from scite without the work that wrote them")
    assert "citations without their year (e.g. \u201c(Nestor & Galletly, )\u201d): that is how scite printed them" in note
    assert not examples["why"].str.contains("\u2192").any()


def test_a_bare_author_callout_marks_the_citation_it_begins():
    from peerbib.analysis.citation_types import _marked

    marked = _marked({"text": "as shown (Smith et al., 2014; Jones, 2010).", "callout": "Smith"})
    assert [marked[a:b] for a, b in marked.spans] == ["Smith et al., 2014"]
    numbered = _marked({"text": "Peer work helps [12] and hurts [14].", "callout": "[12] [14]"})
    assert [numbered[a:b] for a, b in numbered.spans] == ["[12]", "[14]"]


def test_agreement_says_what_it_can_show(bundled):
    from peerbib.analysis.citation_types import source_agreement

    agreement = source_agreement(bundled)
    assert len(agreement) == 4 and set(agreement["source_type"]) == {"mentioning"}
    note = agreement.attrs["note"]
    agree = int((agreement["source_type"] == agreement["type"]).sum())
    assert note.startswith(f"{agree} of 4 statements get the same type")
    assert "Their source calls every one mentioning, so this shows how often peerbib keeps that type, not " \
           "whether it finds supporting or contrasting statements." in note


def test_citing_work_and_doi_come_from_the_tables(project):
    gillard = "10.1007/s10488-014-0603-z"
    (project / "data" / "raw" / "statements" / f"{gillard.replace('/', '_', 1)}.scite.csv").write_text(
        "Citing DOI,Citation Statement,Citation Type,Section\n"  # SYNTHETIC
        "10.5555/s.1,Our findings are consistent with earlier work (Gillard et al. 2014).,supporting,Discussion\n",
        encoding="utf-8")
    examples = pb.example_statements(pb.build(), per_type=5)
    row = examples[examples["text"].str.startswith("Our findings")].iloc[0]
    assert row["citing_doi"] == "10.5555/s.1"
    link = pb.show_table(examples[["citing_doi"]].rename(columns={"citing_doi": "citing DOI"}), "x")._repr_html_()
    assert '<a href="https://doi.org/10.5555/s.1">10.5555/s.1</a>' in link


def test_doi_links_are_escaped_and_only_for_dois():
    from peerbib.analysis.present import doi_link

    assert doi_link('10.1000/x"><script>') == \
        '<a href="https://doi.org/10.1000/x%22%3E%3Cscript%3E">10.1000/x&quot;&gt;&lt;script&gt;</a>'
    assert doi_link("https://doi.org/10.1000/ABC") == '<a href="https://doi.org/10.1000/ABC">10.1000/ABC</a>'
    assert doi_link("<b>not a doi</b>") == "&lt;b&gt;not a doi&lt;/b&gt;"
    table = pb.show_table(pd.DataFrame({"doi": ["10.1000/a", None]}), "t")._repr_html_()
    assert '<a href="https://doi.org/10.1000/a">' in table and "—" in table
    assert 'class="pb-scroll"' in table and "overflow-x:auto" in table and "@media print" in table


def test_disputed_years_speak_of_the_year_not_of_the_transcriber_s_files(bundled):
    doubts = pb.disputed_years(bundled.works)
    text = " ".join(doubts["year_doubt"])
    for phrase in ("(line ", "PRODUCT.md", "publication_year", "seed"):
        assert phrase not in text, phrase
    assert "print Jul 2014; online 02 Jan 2018: the year shown is the print year" in text
    assert bundled.works["year_doubt"].str.contains("(line 20)", regex=False).any()  # the data keeps them


def test_the_build_line_counts_imported_statements(bundled, capsys):
    from peerbib import cli

    cli._say_built(bundled, Path("data/processed"), "report")
    out = capsys.readouterr().out
    assert "statements: 4 in all; 0 found in the full text of 0 of 1 citing works (0%), 0 of which cite a " \
           "corpus work in a sentence; 4 imported from statement files" in out


def test_the_year_chart_marks_the_years_the_data_disputes(bundled):
    import matplotlib.pyplot as plt

    counts = pb.publication_years(bundled.works)
    doubted = sorted(set(pb.disputed_years(bundled.works)["publication_year"].astype(int)))
    assert counts.attrs["disputed_years"] == doubted == [1999, 2013, 2014, 2021]
    ax = pb.plot_publication_years(counts)
    marks = [t for t in ax.texts if t.get_text() == "?"]
    assert sorted(int(t.xy[0]) for t in marks) == doubted
    assert "4 work(s) with a year the data disputes (? over their years)" in ax.get_xlabel()
    plt.close("all")
