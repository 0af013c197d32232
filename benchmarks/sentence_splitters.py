"""Which sentence splitter gets citing sentences right: peerbib's rules, pysbd or syntok.

Two sets of paragraphs with known sentences:

- **edge cases**: the hand-written paragraphs of
  ``tests/fixtures/sentences/edge_cases.txt`` (et al., e.g., Fig. 2, vs.,
  initials, decimals, numeric callouts after the full stop, author-year
  callouts; written for peerbib);
- **GROBID**: every body paragraph with a citation of the real
  sentence-segmented TEI in ``tests/fixtures/fulltext/`` (GROBID's own ``<s>``
  as the reference; it has a few mistakes of its own, so no splitter can
  reach 100% here).

For each splitter it prints the share of paragraphs split exactly right, the
share of sentence boundaries found (recall) and right (precision), and the
share of citations whose sentence is exactly the reference sentence: the
figure that matters for citation statements. The maintained splitters get
the paragraph as printed; numeric callouts that they put at the start of the
next sentence are moved back to the sentence before, as peerbib does, so the
comparison is about the splitting itself.

Needs ``pip install pysbd syntok`` (not dependencies of peerbib).

Usage::

    python benchmarks/sentence_splitters.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from fixtures.fulltext_cases import FULLTEXT  # noqa: E402
from fixtures.sentence_cases import edge_cases, grobid_segmented  # noqa: E402

from peerbib.statements.sentences import is_marker, split_sentences, trim_spans as trim  # noqa: E402


def reattach(text, callouts, spans):
    """Numeric callouts opening a sentence go back to the sentence before (what peerbib's rules do)."""
    spans = list(spans)
    for i in range(1, len(spans)):
        a, b = spans[i]
        leading = [c for c in callouts if c.start >= a and is_marker(c.text)
                   and not text[a:c.start].strip(" ,;")]
        if leading:
            cut = max(c.end for c in leading)
            if cut < b and text[cut:b].strip():
                spans[i - 1] = (spans[i - 1][0], cut)
                spans[i] = (cut, b)
    return trim(text, spans)


def with_pysbd():
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)

    def split(text, callouts):
        return reattach(text, callouts, [(s.start, s.end) for s in segmenter.segment(text)])
    return split


def with_syntok():
    from syntok import segmenter

    def split(text, callouts):
        spans = []
        for paragraph in segmenter.analyze(text):
            for sentence in paragraph:
                start = sentence[0].offset
                end = sentence[-1].offset + len(sentence[-1].value)
                spans.append((start, end))
        # syntok's offsets skip the spacing before a token; the spans cover the text
        return reattach(text, callouts, spans)
    return split


def score(split, cases):
    exact = found = right = total_gold = total_got = cited = cited_right = 0
    started = time.perf_counter()
    for text, callouts, gold in cases:
        gold = trim(text, gold)
        got = trim(text, split(text, callouts))
        exact += got == gold
        gold_ends = {b for _, b in gold[:-1]}
        got_ends = {b for _, b in got[:-1]}
        found += len(gold_ends & got_ends)
        total_gold += len(gold_ends)
        total_got += len(got_ends)
        right += len(gold_ends & got_ends)
        for callout in callouts:
            cited += 1
            mine = next(((a, b) for a, b in got if a <= callout.start < b), None)
            theirs = next(((a, b) for a, b in gold if a <= callout.start < b), None)
            cited_right += mine == theirs
    seconds = time.perf_counter() - started
    return {
        "exact": exact / len(cases), "recall": found / max(1, total_gold), "precision": right / max(1, total_got),
        "citations": cited_right / max(1, cited), "ms": 1000 * seconds / len(cases),
    }


def main() -> int:
    sets = {
        "edge cases": edge_cases(),
        "GROBID <s>": grobid_segmented(FULLTEXT / "tei" / "grobid081_stam2023_supercon2_numeric_sentences.tei.xml"),
    }
    splitters = {"peerbib rules": split_sentences}
    for name, make in (("pysbd", with_pysbd), ("syntok", with_syntok)):
        try:
            splitters[name] = make()
        except ImportError:
            print(f"({name} is not installed: pip install pysbd syntok)")
    print(f"{'splitter':<14} {'set':<11} {'paragraphs':>10} {'exact':>6} {'recall':>7} {'precision':>9} "
          f"{'citations':>9} {'ms/para':>8}")
    for name, split in splitters.items():
        for label, cases in sets.items():
            s = score(split, cases)
            print(f"{name:<14} {label:<11} {len(cases):>10} {s['exact']:>6.0%} {s['recall']:>7.0%} "
                  f"{s['precision']:>9.0%} {s['citations']:>9.0%} {s['ms']:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
