"""Issue 18, deliver 4: hostile full text that peerbib already withstands, kept that way.

Full text comes from outside (a publisher's JATS, OpenAlex's GROBID TEI): a
document must not make peerbib expand entities without bound (billion
laughs), read a local file or reach the network (external entities, XXE),
or load a DTD. The documents are SYNTHETIC, made here.
"""
from __future__ import annotations

import resource
import time

import pytest
from lxml import etree

from peerbib.statements.jats import read_jats
from peerbib.statements.tei import read_tei

TEI_NS = "http://www.tei-c.org/ns/1.0"


def _tei(doctype: str, paragraph: str) -> bytes:
    return (f'<?xml version="1.0"?>\n{doctype}\n<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt>'
            f'<title>SYNTHETIC</title></titleStmt></fileDesc></teiHeader><text><body><div><head>Introduction</head>'
            f'<p>{paragraph} <ref type="bibr" target="#b0">[1]</ref>.</p></div></body><back><div type="references">'
            '<listBibl><biblStruct xml:id="b0"><analytic><title>Cited</title></analytic></biblStruct></listBibl>'
            '</div></back></text></TEI>').encode()


def _jats(doctype: str, paragraph: str) -> bytes:
    return (f'<?xml version="1.0"?>\n{doctype}\n<article><front><article-meta><title-group><article-title>SYNTHETIC'
            '</article-title></title-group></article-meta></front><body><sec><title>Introduction</title>'
            f'<p>{paragraph} <xref ref-type="bibr" rid="r1">1</xref>.</p></sec></body><back><ref-list>'
            '<ref id="r1"><element-citation><article-title>Cited</article-title></element-citation></ref>'
            '</ref-list></back></article>').encode()


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("the parser tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + "]>")


def _texts(document) -> str:
    return " ".join(p.text for p in document.paragraphs)


@pytest.mark.parametrize("read, make", [(read_tei, _tei), (read_jats, _jats)], ids=["tei", "jats"])
def test_billion_laughs_is_not_expanded(read, make):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        document = read(make(LAUGHS, "Peer workers &lol9; matter"))
    except etree.XMLSyntaxError:
        return  # refused outright is fine too: a damaged document, reported and skipped by the build
    assert time.perf_counter() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB: nothing like 10^9 "lol"
    assert "lollollol" not in _texts(document)


@pytest.mark.parametrize("read, make", [(read_tei, _tei), (read_jats, _jats)], ids=["tei", "jats"])
def test_external_entities_read_no_file(read, make, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    doctype = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    try:
        document = read(make(doctype, "Peer workers &xxe; matter"))
    except etree.XMLSyntaxError:
        return
    assert "TOP-SECRET-CONTENT" not in _texts(document)


@pytest.mark.parametrize("read, make", [(read_tei, _tei), (read_jats, _jats)], ids=["tei", "jats"])
def test_a_doctype_naming_a_dtd_on_the_web_is_read_without_fetching_it(read, make, no_network):
    """Was: every PLOS JATS (DOCTYPE "http://dtd.nlm.nih.gov/publishing/3.0/journalpublishing3.dtd") failed to
    parse with lxml 6: "Attempt to load network entity"."""
    doctype = ('<!DOCTYPE article PUBLIC "-//NLM//DTD Journal Publishing DTD v3.0 20080202//EN" '
               '"http://dtd.nlm.nih.gov/publishing/3.0/journalpublishing3.dtd">')
    document = read(make(doctype, "Peer workers matter"))
    assert "Peer workers matter" in _texts(document) and len(document.bibliography) == 1


@pytest.mark.parametrize("read, make", [(read_tei, _tei), (read_jats, _jats)], ids=["tei", "jats"])
def test_no_dtd_or_entity_is_fetched_from_the_network(read, make, no_network):
    doctype = ('<!DOCTYPE article PUBLIC "-//NLM//DTD JATS//EN" "http://127.0.0.1:9/jats.dtd" '
               '[<!ENTITY remote SYSTEM "http://127.0.0.1:9/remote.txt"><!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>')
    try:
        document = read(make(doctype, "Peer workers &remote; matter"))
    except etree.XMLSyntaxError:
        return
    assert "Peer workers" in _texts(document)
