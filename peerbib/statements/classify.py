"""Citation types: supporting, mentioning or contrasting, by open classifiers that show their reasons.

The default (:func:`default_classifier`, ``peerbib-linear/3``) is a linear
model learned from the gold corpus (:mod:`.model`, :mod:`.gold`): words of
the sentence and the cue file's cues as features, calibrated confidences,
per-type thresholds, evidence in plain words. Its figures on the gold
corpus's held-out test papers travel with it (``default_classifier().evaluation``).

:class:`CueClassifier` (``peerbib-cues``, :func:`cue_classifier`) reads the cues in ``data/cues.toml``:
a statement is *supporting* or *contrasting* when a cue of that kind ("in
line with", "confirm", "in contrast to", "failed to replicate") stands in its
sentence, ties to the citation (the same clause, close to it), and the
sentence speaks of the citing paper's own work ("our findings", "we",
"the present study"); a negation turns a cue around ("not consistent with").
The section weighs in (a Methods citation is rarely a compared finding).
Everything else is *mentioning*. The confidence of each decision is what the
cue that made it is worth on the bundled gold set, and ``evidence`` says
which cue, where, and why; a decision below the threshold is *unclassified*.

:func:`classify_statements` applies it (or a classifier trained with
:func:`peerbib.train_classifier`) to a statements table.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from ..deprecation import deprecated_positional
from ..errors import AnalysisError
from .sections import CITATION_TYPES
from .sentences import split_sentences

__all__ = ["CueClassifier", "default_classifier", "cue_classifier", "classify_statements", "DEFAULT_THRESHOLD",
           "cue_file", "DEFAULT_MODEL"]

#: The default classifier's file in the package (and its JSON beside it: thresholds, figures, provenance).
DEFAULT_MODEL = "data/peerbib-linear-3.skops"

#: Decisions less confident than this are "unclassified".
DEFAULT_THRESHOLD = 0.5
_OPPOSITE = {"supporting": "contrasting", "contrasting": "supporting"}
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+(?=[A-Z\"'(\[])")
_DEMONSTRATIVE = re.compile(r"^\W*(?:this|these|such|it|that|those)\b", re.IGNORECASE)
# What makes a sentence look cited: a bracketed number, "et al.", a year in brackets.
_CITED = re.compile(r"[\[(]\s*\d{1,3}\s*(?:[,\u2013-]\s*\d{1,3}\s*)*[\])]|\bet al\b|\(\D{0,40}\b(?:19|20)\d\d[a-z]?\b|\u25b6")
_PASSIVE = re.compile(r"\b(?:been|was|were|is|are|being)\s+(?:\w+ly\s+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Cue:
    type: str
    name: str
    pattern: re.Pattern
    confidence: float
    own_before: int | None = None  # the own-work words must stand this close before the cue (its subject)
    active: bool = False  # not in the passive ("has been replicated" is someone else's replication)


def cue_file() -> str:
    """The text of the cue file the default classifier reads (``peerbib/statements/data/cues.toml``)."""
    return resources.files("peerbib.statements").joinpath("data/cues.toml").read_text(encoding="utf-8")


@dataclass(frozen=True)
class CueClassifier:
    """The cue classifier. Build it from a cue file with :meth:`from_toml` (or use :func:`default_classifier`)."""

    name: str
    version: int
    cues: tuple[Cue, ...]
    own_work: re.Pattern
    clause_break: re.Pattern
    negation: re.Pattern
    reach: int
    section_factor: dict
    mentioning: dict
    weak_factor: float = 0.6

    @classmethod
    def from_toml(cls, text: str) -> "CueClassifier":
        data = tomllib.loads(text)
        flags = re.IGNORECASE
        cues = tuple(Cue(c["type"], c["name"], re.compile(c["pattern"], flags), float(c["confidence"]),
                         int(c["own_before"]) if c.get("own_before") else None, bool(c.get("active", False)))
                     for c in data.get("cue", []))
        for cue in cues:
            if cue.type not in ("supporting", "contrasting"):
                raise AnalysisError(f"cue {cue.name!r} has type {cue.type!r}; a cue is supporting or contrasting")
        return cls(name=data["name"], version=int(data["version"]), cues=cues,
                   own_work=re.compile(data["own_work"], flags), clause_break=re.compile(data["clause_break"], flags),
                   negation=re.compile(data["negation"], flags), reach=int(data.get("reach", 160)),
                   section_factor=dict(data.get("section_factor", {})), mentioning=dict(data.get("mentioning", {})),
                   weak_factor=float(data.get("weak_factor", 0.6)))

    @property
    def label(self) -> str:
        """Name and version, as the ``classifier`` column shows it: ``peerbib-cues/2``."""
        return f"{self.name}/{self.version}"

    def _tied(self, text: str, match: re.Match, where: tuple[int, int] | None, cue: Cue) -> bool:
        if where is None:
            return True  # the citation's place is not known: the sentence is the scope
        start, end = where
        if match.start() >= end:
            between = text[end:match.start()]
        elif match.end() <= start:
            between = text[match.end():start]
        else:
            return True  # the cue overlaps the citation
        if len(between) > self.reach:
            return False
        if _SENTENCE_BREAK.search(between):
            return False
        if cue.name == "however own":
            return True  # the clause word is the cue itself
        return not self.clause_break.search(between)

    def decide(self, text, callout=None, section=None, context_before=None) -> tuple[str, float | None, str]:
        """(type, confidence, evidence) of one statement, before any threshold.

        A sentence that opens with "This", "These", "Such" or "It" speaks of
        what the sentence before said: when that sentence names the citing
        work's own ("We found …"), so does this one.
        """
        if not isinstance(text, str) or not text.strip():
            return "unclassified", None, "no text"
        section_name = section if isinstance(section, str) and section in self.section_factor else None
        factor = self.section_factor.get(section_name, 0.8) if section_name else 0.8
        where = None
        if isinstance(callout, str) and callout.strip():
            found = text.find(callout.strip())
            if found >= 0:
                where = (found, found + len(callout.strip()))
        # A text of several sentences whose citation cannot be found in it (an imported
        # statement, the cited work's authors unknown): no cue can be tied to the citation.
        untied = where is None and len(split_sentences(text)) > 1
        own = self.own_work.search(text)
        own_text = own.group(0).strip() if own else None
        if own is None and _DEMONSTRATIVE.match(text) and isinstance(context_before, str) and context_before.strip():
            before_own = self.own_work.search(context_before)
            if before_own is not None:
                own, own_text = before_own, f"{text.split()[0]} -> {before_own.group(0).strip()} (sentence before)"
            elif section_name in ("Results", "Discussion") and not _CITED.search(context_before):
                # "This association depended on …" / "This is consistent with [25]": the sentence
                # before cites nobody, so what "this" points back to is the paper's own finding.
                own, own_text = True, f"{text.split()[0]} -> the uncited sentence before"
        best = None
        for cue in self.cues:
            for match in cue.pattern.finditer(text):
                if not self._tied(text, match, where, cue):
                    continue
                if cue.own_before is not None and not self.own_work.search(
                        text, max(0, match.start() - cue.own_before), match.start()):
                    continue  # the citing work is not the subject of the cue
                if cue.active and _PASSIVE.search(text, max(0, match.start() - 20), match.start()):
                    continue  # "has been replicated": someone else's replication
                kind, note = cue.type, ""
                before = text[max(0, match.start() - 40):match.start()]
                if self.negation.search(before) and cue.name != "however own":
                    kind, note = _OPPOSITE[cue.type], " (negated)"
                score = cue.confidence * factor * (1.0 if own else self.weak_factor) \
                    * (self.weak_factor if untied else 1.0)
                if best is None or score > best[0]:
                    reason = (f"{kind}: cue {match.group(0).strip()!r} [{cue.name}]{note}"
                              + (f", own work {own_text!r}" if own else ", no own work named")
                              + (", citation not found in the text" if untied else "")
                              + f", {section_name or 'section unknown'} x{factor:g} -> {score:.2f}")
                    best = (score, kind, reason)
        base = float(self.mentioning.get(section_name or "unknown", self.mentioning.get("unknown", 0.9)))
        if best is not None and best[0] >= DEFAULT_THRESHOLD:
            return best[1], round(best[0], 3), best[2]
        if best is not None:
            confidence = base * (1.0 - 0.5 * best[0])
            return "mentioning", round(confidence, 3), (f"mentioning: the only cue is weak ({best[2]}) "
                                                       f"-> {confidence:.2f}")
        return "mentioning", round(base, 3), f"mentioning: no cue tied to the citation, {section_name or 'section unknown'}"

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Columns ``type, confidence, evidence`` for each row of a statements table."""
        texts = frame["text"] if "text" in frame else pd.Series([None] * len(frame), index=frame.index)
        callouts = frame["callout"] if "callout" in frame else pd.Series([None] * len(frame), index=frame.index)
        sections = frame["section"] if "section" in frame else pd.Series([None] * len(frame), index=frame.index)
        befores = frame["context_before"] if "context_before" in frame else pd.Series([None] * len(frame),
                                                                                      index=frame.index)
        decided = [self.decide(t if isinstance(t, str) else None, c if isinstance(c, str) else None,
                               s if isinstance(s, str) else None, b if isinstance(b, str) else None)
                   for t, c, s, b in zip(texts.tolist(), callouts.tolist(), sections.tolist(), befores.tolist())]
        return pd.DataFrame(decided, columns=["type", "confidence", "evidence"], index=frame.index)


@lru_cache(maxsize=1)
def cue_classifier() -> CueClassifier:
    """The cue classifier of the cue file shipped with peerbib (``peerbib-cues/2``)."""
    return CueClassifier.from_toml(cue_file())


@lru_cache(maxsize=1)
def default_classifier():
    """peerbib's default classifier (``peerbib-linear/3``), shipped with the package; loads offline.

    Raises
    ------
    AnalysisError
        When this scikit-learn cannot read the shipped model (it names the version it was made with).
    """
    import json

    from .model import load_linear

    files = resources.files("peerbib.statements")
    model = files.joinpath(DEFAULT_MODEL)
    meta = json.loads(files.joinpath(DEFAULT_MODEL + ".json").read_text(encoding="utf-8"))
    return load_linear(DEFAULT_MODEL, data=model.read_bytes(), meta=meta, any_version=True)


@deprecated_positional("classifier", "threshold")
def classify_statements(statements: pd.DataFrame, *, classifier=None, threshold: float | None = None) -> pd.DataFrame:
    """The statements with ``type``, ``confidence``, ``classifier`` and ``evidence`` set.

    Parameters
    ----------
    statements : pandas.DataFrame
        A statements table (``text``; ``callout``, ``section``, ``context_before``, ``context_after``
        and ``n_cited_in_sentence`` are used when present).
    classifier : optional
        Default: peerbib's learned classifier (:func:`default_classifier`, ``peerbib-linear/3``).
        ``"cues"`` (or :func:`cue_classifier`) is the cue classifier; a classifier from
        :func:`peerbib.train_classifier` or :func:`peerbib.load_classifier` works the same way.
    threshold : float, optional
        Decisions less confident than this become ``unclassified`` (their evidence kept). By default
        each classifier's own rule decides (the default's per-type thresholds; 0.5 for the cues).

    Returns
    -------
    pandas.DataFrame
        A copy of ``statements``; a ``type`` it already had from elsewhere
        (scite's label of an imported statement) is kept as ``source_type``
        when that column is empty.
    """
    if not isinstance(statements, pd.DataFrame):
        raise AnalysisError("classify_statements needs a statements table (pb.load().statements)")
    if "text" not in statements.columns:
        raise AnalysisError("classify_statements needs a 'text' column: pass the statements table")
    if classifier == "cues":
        classifier = cue_classifier()
    classifier = classifier or default_classifier()
    if threshold is None:
        threshold = DEFAULT_THRESHOLD if isinstance(classifier, CueClassifier) else 0.0
    threshold = float(threshold)
    if not 0 <= threshold <= 1:
        raise AnalysisError(f"threshold {threshold} is not between 0 and 1")
    out = statements.copy()
    if "type" in out.columns:
        given = out["type"].where(out["type"].isin(CITATION_TYPES[:3]))
        if "source_type" not in out.columns:
            out["source_type"] = given
        else:
            out["source_type"] = out["source_type"].where(out["source_type"].notna(), given)
    decided = classifier.predict(out)
    below = decided["confidence"].isna() | (decided["confidence"] < threshold)
    out["type"] = decided["type"].where(~below, "unclassified").astype("str")
    out["confidence"] = pd.array(decided["confidence"].tolist(), dtype="Float64")
    out["classifier"] = classifier.label
    out["evidence"] = decided["evidence"].astype("str")
    return out
