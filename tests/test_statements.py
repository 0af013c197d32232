"""Citation statements from full text: readers (TEI, JATS), sections, sentences, matching, extraction.

Real documents come from ``fixtures/fulltext/`` (sources and licences in its
SOURCES.md); hand-written ones, in the true shape of GROBID and JATS output,
from ``fixtures/fulltext_cases.py`` (SYNTHETIC text).
"""
from __future__ import annotations

from difflib import SequenceMatcher

import pytest
from lxml import etree

from fixtures import fulltext_cases as cases
from fixtures.sentence_cases import edge_cases, grobid_segmented

from peerbib.ids import normalize_title
from peerbib.statements.extract import CorpusIndex, expand_ranges, extract_statements
from peerbib.statements.jats import read_jats
from peerbib.statements.sentences import split_sentences
from peerbib.statements.structure import is_junk_heading, plain_heading, resolve_sections
from peerbib.statements.tei import read_tei

CORPUS = [
    {"work_id": "W10", "doi": "10.5555/corpus.sfn", "title": "Small fibre neuropathy: a review of diagnosis",
     "publication_year": 2012, "authors": "A Author"},
    {"work_id": "W11", "doi": "10.5555/corpus.biopsy", "title": "Skin biopsy in neuropathy",
     "publication_year": 2015, "authors": "A Author"},
    # no DOI in the citing paper's bibliography: found by title and year
    {"work_id": "W12", "doi": "10.5555/corpus.series",
     "title": "Peer workers in secure mental health services: a large series", "publication_year": 2014,
     "authors": "A Author"},
]


def statements_of(document, corpus=CORPUS, citing="W1"):
    rows, counts = extract_statements(document, CorpusIndex(corpus), citing)
    return rows, counts


# --- sentences ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", edge_cases(), ids=lambda c: c[0][:40])
def test_sentences_of_scientific_prose(case):
    text, callouts, gold = case
    assert [text[a:b] for a, b in split_sentences(text, callouts)] == [text[a:b] for a, b in gold]


def test_sentences_mostly_agree_with_grobid_segmentation():
    """GROBID's own <s> of a real paper, as a second opinion (it has errors of its own: 3 of 17)."""
    paragraphs = grobid_segmented(cases.FULLTEXT / "tei" / "grobid081_stam2023_supercon2_numeric_sentences.tei.xml")
    assert len(paragraphs) >= 15
    cited = right = 0
    for text, callouts, gold in paragraphs:
        got = split_sentences(text, callouts)
        for callout in callouts:
            cited += 1
            mine = next(((a, b) for a, b in got if a <= callout.start < b), None)
            theirs = next((text[a:b].strip() for a, b in gold if a <= callout.start < b), None)
            right += mine is not None and text[mine[0]:mine[1]] == theirs
    assert right / cited >= 0.9


def test_numeric_callouts_after_the_full_stop_stay_with_their_sentence():
    document = read_tei(cases.numeric_after_the_full_stop())
    rows, _ = statements_of(document)
    first = [r for r in rows if r["cited_id"] == "W10" and r["section"] == "Introduction"]
    assert [r["text"] for r in first] == [
        "Screening questionnaires [SIQ]) are used to assess small fibre damage in patients. [1,[2][3]",
        "However, skin biopsy remains the reference test. [1]",
    ]
    assert first[0]["context_after"] == first[1]["text"] and first[1]["context_before"] == first[0]["text"]
    assert first[1]["context_after"] == "Many causes are known."


def test_superscript_callouts_printed_after_the_full_stop_with_a_dash_between():
    # Real JATS (CC BY 2.5): "... rhabdomyolysis.<xref>2</xref>–<xref>4</xref> Another reason ..."
    document = read_jats(cases.real("actaanaesthesiolscand2011_phosphate_crrt.jats.nxml"))
    paragraph = document.paragraphs[0]
    spans = split_sentences(paragraph.text, paragraph.callouts)
    sentences = [paragraph.text[a:b] for a, b in spans]
    assert sentences[1].endswith("diuretics and rhabdomyolysis.2\u20134")
    assert sentences[2].startswith("Another reason is the CRRT technique")
    assert sentences[2].endswith("phosphate.5\u20139")
    assert sentences[3].startswith("In addition, low serum phosphate")


# --- sections ------------------------------------------------------------------------------------


def test_section_inheritance_numbering_junk_and_headless():
    sections = resolve_sections([(None, None), ("Methods", None), ("Patients", None), ("results", None),
                                 ("dIscussIon", None)])
    assert [s.section for s in sections] == ["Introduction", "Methods", "Methods", "Results", "Discussion"]
    numbered = resolve_sections([("Introduction", "1."), ("Research Design", "3"), ("Data analysis", "3.1"),
                                 ("Figure 2", None), ("right).", None), ("Discussion", "5")])
    assert [s.section for s in numbered] == ["Introduction", "Methods", "Methods", "Methods", "Methods", "Discussion"]
    assert numbered[3] is numbered[2] and numbered[4] is numbered[2]  # junk heads start no section
    assert numbered[2].parent is numbered[1] and numbered[2].path == "Research Design > Data analysis"
    # a first headless division is not the Introduction when a later heading names it
    assert resolve_sections([(None, None), ("Introduction", None)])[0].section == "Other"
    assert resolve_sections([("B AUTOGPT DETAILS", None), ("B.1 SETUP", None)])[1].parent.heading == "AUTOGPT DETAILS"
    assert resolve_sections([("A research agenda", None)])[0].number is None


@pytest.mark.parametrize("heading, junk", [("Figure 2", True), ("Fig. 4. Patterns", True), ("right).", True),
                                           ("Table 3", True), ("Methods", False), ("dIscussIon", False),
                                           ("Data analysis", False), ("4.", True)])
def test_junk_headings(heading, junk):
    assert is_junk_heading(heading) is junk


def test_plain_headings():
    assert plain_heading("3. Results and Discussion") == "Results"
    assert plain_heading("MATERIALS AND METHODS") == "Methods"
    assert plain_heading("Ethical approval") is None


def test_sections_of_real_tei_with_and_without_numbers():
    acta = read_tei(cases.real("grobid056_actacrystD2011_pi_sampling_authoryear.tei.xml"))
    by_heading = {s.heading: s for s in acta.sections}
    assert by_heading["Pi sampling"].section == "Methods"  # "2.1" under "2. Methods"
    assert "Figure 2" not in by_heading  # a caption GROBID took for a heading
    jner = read_tei(cases.real("grobid081_jneuroengrehabil2016_multicontact_FES_numeric_coords.tei.xml"))
    sections = {s.heading: s.section for s in jner.sections}
    assert sections["Participants"] == "Methods" and sections["Data analysis"] == "Methods"
    assert sections["Optimal patterns vs control measurements"] == "Results"
    assert sections["Possible limitations and future perspectives"] == "Discussion"
    assert "right)." not in sections


# The section each citing passage of the real documents is in, labelled by hand from the headings
# (a heading path -> its section). Passages under headings that could be read two ways are not
# labelled: "The Pi minimal screen" (GROBID lost its parent "4. Discussion"), "Curation workflow",
# "Model 2.1 Overview", "Experiments", "Analysis", "Code availability", "Notes", "ELMo ELMo".
SECTION_LABELS = {
    "grobid056_actacrystD2011_pi_sampling_authoryear.tei.xml": {
        "Introduction": "Introduction", "Methods > Pi Sampler": "Methods",
        "Methods > Pi minimal screen preparation and crystallization assays with commercially available soluble "
        "proteins": "Methods", "Conclusions": "Discussion"},
    "grobid081_jneuroengrehabil2016_multicontact_FES_numeric_coords.tei.xml": {
        "Background": "Introduction", "Methods > Experimental setup": "Methods",
        "Methods > Scanning the array and selecting the optimal stimulation patterns": "Methods",
        "Discussion > Innovation of the study": "Discussion",
        "Discussion > Potential Application for Neurorehabilitation": "Discussion",
        "Discussion > Possible limitations and future perspectives": "Discussion"},
    "grobid081_stam2023_supercon2_numeric_sentences.tei.xml": {
        "Introduction": "Introduction", "Results and evaluation > Training data generation": "Results",
        "Conclusions": "Discussion"},
    "grobid056_actapaediatr2011_placenta_bp_numeric.tei.xml": {
        "INTRODUCTION": "Introduction", "METHODS": "Methods", "METHODS > Statistical methods": "Methods",
        "RESULTS": "Results", "DISCUSSION": "Discussion", "DISCUSSION > Girls, oval placental surface": "Discussion"},
    "grobid061_acl2020_specter_authoryear.tei.xml": {
        "Introduction": "Introduction", "Related Work": "Introduction", "Conclusions and Future Work": "Discussion"},
    "actacrystD2011_pi_sampling.jats.nxml": {
        "Introduction": "Introduction", "Methods > Pi Sampler": "Methods",
        "Methods > Pi minimal screen preparation and crystallization assays with commercially available soluble "
        "proteins": "Methods", "Discussion > The Pi minimal screen": "Discussion",
        "Discussion > The Pi-PEG screen": "Discussion", "Conclusions": "Discussion"},
    "actapaediatr2011_placenta_bp.jats.nxml": {
        "Introduction": "Introduction", "Methods": "Methods", "Methods > Statistical methods": "Methods",
        "Results": "Results", "Discussion": "Discussion", "Discussion > Boys, small placental surface": "Discussion",
        "Discussion > Girls, large placental surface": "Discussion",
        "Discussion > Girls, oval placental surface": "Discussion"},
}


def test_right_section_for_citations_whose_heading_is_unambiguous():
    """Done means: the right section for at least 90% of citations whose heading is unambiguous."""
    checked = right = 0
    for name, labels in SECTION_LABELS.items():
        data = cases.real(name)
        document = read_jats(data) if name.endswith(".nxml") else read_tei(data)
        found = set()
        for paragraph in document.paragraphs:
            expected = labels.get(paragraph.section.path)
            if paragraph.location != "body" or expected is None:
                continue
            found.add(paragraph.section.path)
            checked += len(paragraph.callouts)
            right += len(paragraph.callouts) * (paragraph.section.section == expected)
        assert found == set(labels), name  # every labelled heading was read as a section
    assert checked >= 250
    assert right / checked >= 0.9


# --- readers ------------------------------------------------------------------------------------


def test_tei_reader_on_a_real_sentence_segmented_file():
    document = read_tei(cases.real("grobid081_stam2023_supercon2_numeric_sentences.tei.xml"))
    assert document.doi == "10.1080/27660400.2023.2286219"
    assert len(document.bibliography) == 22
    assert sum(1 for e in document.bibliography.values() if e.doi) == 12
    locations = {}
    for paragraph in document.paragraphs:
        locations[paragraph.location] = locations.get(paragraph.location, 0) + len(paragraph.callouts)
    # 36 in body paragraphs, 1 in a figure caption, 2 in the acknowledgement (the reference set's count)
    assert locations == {"body": 36, "caption": 1, "back": 2, "footnote": 0}
    segmented = [p for p in document.paragraphs if p.sentences]
    assert segmented and all(p.text[a:b].strip() for p in segmented for a, b in p.sentences)
    first = document.bibliography["b0"]
    assert first.title.startswith("Automatic extraction of materials") and first.year == 2023
    assert first.first_author == "Foppiano" and first.doi == "10.1080/27660400.2022.2153633"


def test_jats_reader_on_real_files():
    acta = read_jats(cases.real("actacrystD2011_pi_sampling.jats.nxml"))
    assert acta.doi == "10.1107/s0907444911008754"
    assert len(acta.bibliography) == 23 and sum(len(p.callouts) for p in acta.paragraphs) == 29
    entry = acta.bibliography["bb10"]  # a plain mixed-citation: surname and year read from the text
    assert (entry.first_author, entry.year) == ("Jancarik", 1991)
    paediatr = read_jats(cases.real("actapaediatr2011_placenta_bp.jats.nxml"))
    assert len(paediatr.bibliography) == 28 and sum(len(p.callouts) for p in paediatr.paragraphs) == 50
    assert paediatr.bibliography["b1"].title.startswith("Initiation of hypertension")
    # Paragraphs before the body's first <sec> are the paper's untitled introduction.
    crrt = read_jats(cases.real("actaanaesthesiolscand2011_phosphate_crrt.jats.nxml"))
    opening = [p for p in crrt.paragraphs if p.location == "body"][:3]
    assert [p.section.section for p in opening] == ["Introduction"] * 3
    assert opening[0].text.startswith("The majority of patients on continuous renal replacement therapy")
    assert {p.section.section for p in crrt.paragraphs if p.location == "body"} == {
        "Introduction", "Methods", "Results", "Discussion"}


def test_jats_nested_sections_ranges_footnotes_and_captions():
    document = read_jats(cases.jats_nested())
    by_location = {}
    for paragraph in document.paragraphs:
        by_location.setdefault(paragraph.location, []).append(paragraph)
    assert set(by_location) == {"body", "footnote", "caption"}
    setting = next(p for p in by_location["body"] if "model of Smith" in p.text)
    assert setting.section.heading == "Setting" and setting.section.section == "Methods"
    assert setting.section.parent.heading == "Methods"
    corpus = [{"work_id": f"W{i}", "doi": f"10.5555/jats.{i}", "title": f"Peer support study {i} in mental health "
               "services", "publication_year": 2010 + i, "authors": f"A Smith{i}"} for i in range(1, 6)]
    rows, _ = statements_of(document, corpus, citing="W99")
    first = [r for r in rows if r["text"].startswith("Peer support is widely used")]
    # "1–3" is a range: work 2 is cited although no xref names it; work 3 found by its title
    assert sorted(r["cited_id"] for r in first) == ["W1", "W2", "W3"]
    assert {r["match_method"] for r in first if r["cited_id"] == "W3"} == {"title"}
    second = [r for r in rows if r["text"].startswith("Its effects vary")]
    assert sorted(r["cited_id"] for r in second) == ["W4", "W5"] and second[0]["n_cited_in_sentence"] == 2
    flagged = {r["location"]: r["section"] for r in rows if r["location"] != "body"}
    assert flagged == {"footnote": "Other", "caption": "Other"}


def test_author_year_groups_narrative_citations_and_title_matches():
    corpus = [
        {"work_id": "W20", "doi": "10.5555/corpus.bertot", "title": "Promoting transparency through social media",
         "publication_year": 2012, "authors": "J Bertot"},
        {"work_id": "W21", "doi": None, "title": "A review of social media use in e-government",
         "publication_year": 2012, "authors": "L Magro"},
        {"work_id": "W22", "doi": "10.5555/corpus.vandijk", "title": "Digital democracy", "publication_year": 2000,
         "authors": "J van Dijk"},
    ]
    rows, counts = statements_of(read_tei(cases.author_year_split()), corpus)
    by_text = {}
    for row in rows:
        by_text.setdefault(row["text"], set()).add(row["cited_id"])
    assert by_text["Social media are used in the public sector (Bertot 2012;Magro 2012;Medaglia 2012)."] == \
        {"W20", "W21"}
    assert by_text["Magro (2012) gives a review."] == {"W21"}  # a narrative citation opens its sentence
    coding = next(r for r in rows if r["text"].startswith("Coding followed"))
    assert coding["section"] == "Methods" and coding["section_heading"] == "Method > Data analysis"
    magro = next(r for r in rows if r["cited_id"] == "W21")
    assert magro["match_method"] == "title" and magro["match_score"] >= 0.9
    assert counts["entries_matched"] == 3


def test_unexpanded_ranges_and_junk_heads():
    refs = [{"work_id": f"W{100 + i}", "doi": f"10.5555/range.{i}", "title": f"Stimulation study number {i} of the "
             "series", "publication_year": 2000 + i, "authors": "A Author"} for i in range(16)]
    rows, _ = statements_of(read_tei(cases.unexpanded_range_and_junk_heads()), refs)
    arrays = sorted(r["cited_id"] for r in rows if r["text"].startswith("Several groups used arrays"))
    assert arrays == [f"W{100 + i}" for i in range(9, 14)]  # [10–14]: entries 10 to 14
    sections = {r["cited_id"]: r["section"] for r in rows}
    assert sections["W104"] == "Results" and sections["W105"] == "Results"  # under "Figure 2" and "right)."
    assert sections["W106"] == "Discussion"


def test_figure_refs_and_refs_without_target_are_not_statements():
    rows, counts = statements_of(read_tei(cases.numeric_after_the_full_stop()))
    assert counts["unresolved"] == 1  # "[SIQ]"
    assert not any("Figure 1" == r["callout"] for r in rows)
    assert "W13" not in {r["cited_id"] for r in rows}  # the unrelated cohort is not a corpus work


def test_citations_outside_the_body_are_kept_flagged_in_section_other():
    corpus = [{"work_id": "W30", "doi": "10.5555/corpus.model", "title": "A model of peer support",
               "publication_year": 2011, "authors": "A Author"}]
    rows, _ = statements_of(read_tei(cases.outside_the_body()), corpus)
    assert sorted((r["location"], r["section"]) for r in rows) == [
        ("back", "Other"), ("body", "Introduction"), ("caption", "Other"), ("footnote", "Other")]


def test_an_empty_body_gives_no_statement_and_no_error():
    rows, counts = statements_of(read_tei(cases.empty_body()),
                                 [{"work_id": "W30", "doi": "10.5555/corpus.model", "title": "A model",
                                   "publication_year": 2011, "authors": None}])
    assert rows == [] and counts["callouts"] == 0


def test_truncated_xml_raises_a_syntax_error_the_build_reports():
    with pytest.raises(etree.XMLSyntaxError):
        read_tei(cases.truncated())


def test_a_work_does_not_cite_itself():
    rows, _ = statements_of(read_tei(cases.numeric_after_the_full_stop()), citing="W10")
    assert "W10" not in {r["cited_id"] for r in rows}


def test_expand_ranges_needs_a_dash_between_two_callouts():
    document = read_tei(cases.unexpanded_range_and_junk_heads())
    paragraph = next(p for p in document.paragraphs if p.text.startswith("Several groups"))
    order = {key: i for i, key in enumerate(document.bibliography)}
    expand_ranges(paragraph, order)
    assert paragraph.callouts[1].targets == ("b10", "b11", "b12", "b13")


# --- the same paper in two formats ---------------------------------------------------------------


def _citations(document):
    order = {key: i for i, key in enumerate(document.bibliography)}
    out = []
    for paragraph in document.paragraphs:
        if paragraph.location != "body" or not paragraph.callouts:
            continue
        expand_ranges(paragraph, order)
        spans = paragraph.sentences or split_sentences(paragraph.text, paragraph.callouts)
        for callout in paragraph.callouts:
            for target in callout.targets:
                entry = document.bibliography.get(target)
                if entry is None:
                    continue
                surname = normalize_title(entry.first_author or "").split()
                sentence = next((paragraph.text[a:b] for a, b in spans if a <= callout.start < b), "")
                out.append(((surname[-1] if surname else "", entry.year), sentence, paragraph.section.section))
    return out


@pytest.mark.parametrize("tei_name, jats_name", [
    ("grobid056_actacrystD2011_pi_sampling_authoryear.tei.xml", "actacrystD2011_pi_sampling.jats.nxml"),
    ("grobid056_actapaediatr2011_placenta_bp_numeric.tei.xml", "actapaediatr2011_placenta_bp.jats.nxml"),
])
def test_grobid_tei_and_publisher_jats_of_one_paper_agree(tei_name, jats_name):
    """The publisher's JATS is the gold standard for what GROBID made of the PDF.

    Floors, from what the two files measurably share: every cited entry but
    those whose author GROBID parsed differently (a corporate author, "di
    Renzo" as "Renzo": 2 of 27) -> 90%; the same sentence (80% alike) for 90%
    of citations; the same section for 70% (GROBID lost the Acta Cryst D
    heading "4. Discussion", so its 4.2 and 4.3 are "Other": 21 of 29 agree).
    """
    tei = _citations(read_tei(cases.real(tei_name)))
    jats = _citations(read_jats(cases.real(jats_name)))
    tei_entries, jats_entries = {k for k, _, _ in tei}, {k for k, _, _ in jats}
    assert len(tei_entries & jats_entries) >= 0.9 * len(jats_entries)
    paired = same_sentence = same_section = 0
    for key, sentence, section in jats:
        candidates = [(SequenceMatcher(None, sentence, other).ratio(), other_section)
                      for k, other, other_section in tei if k == key]
        if not candidates:
            continue
        paired += 1
        ratio, other_section = max(candidates)
        same_sentence += ratio >= 0.8
        same_section += other_section == section
    assert paired >= 0.9 * len(jats)
    assert same_sentence >= 0.9 * paired
    assert same_section >= 0.7 * paired
