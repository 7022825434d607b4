"""Class agreement against published worked examples and reference libraries."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable
from typing import Any

import krippendorff
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from annotary.core.models import Annotation
from annotary.core.regions import BBox, ClassRegion
from annotary.errors import InvalidInput
from annotary.quality.agreement import (
    class_agreement,
    cohen_kappa,
    confusion_matrix,
    disagreeing_items,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    pairwise_cohen_kappa,
    per_category,
    per_label,
    percent_agreement,
)
from annotary.quality.ratings import (
    per_label_tables,
    rating_table,
    ratings_from_annotations,
)
from annotary.quality.result import MetricResult

Ratings = dict[Hashable, dict[Hashable, Any]]


def from_rows(rows: list[list[Any]]) -> Ratings:
    """Items as rows, annotators as columns ``r0, r1, ...``; None is missing."""
    return {
        i: {f"r{j}": label for j, label in enumerate(row) if label is not None}
        for i, row in enumerate(rows)
    }


def from_counts(counts: list[list[int]]) -> Ratings:
    """Fleiss-style count rows (raters per category) as ratings."""
    ratings: Ratings = {}
    for i, row in enumerate(counts):
        labels = [k for k, count in enumerate(row) for _ in range(count)]
        ratings[i] = {f"r{j}": label for j, label in enumerate(labels)}
    return ratings


def from_pairs(cells: dict[tuple[str, str], int]) -> Ratings:
    """A two-rater contingency table as ratings of annotators ``a`` and ``b``."""
    ratings: Ratings = {}
    for (first, second), count in cells.items():
        for _ in range(count):
            ratings[len(ratings)] = {"a": first, "b": second}
    return ratings


# Fleiss (1971), Table 1: 30 patients, 6 psychiatrists each, 5 diagnoses
# (depression, personality disorder, schizophrenia, neurosis, other), as
# distributed in R's irr package (``diagnoses``). Fleiss reports kappa = .430.
FLEISS_1971 = [
    [0, 0, 0, 6, 0],
    [0, 3, 0, 0, 3],
    [0, 1, 4, 0, 1],
    [0, 0, 0, 0, 6],
    [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0],
    [0, 0, 4, 0, 2],
    [2, 0, 3, 1, 0],
    [2, 0, 0, 4, 0],
    [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0],
    [1, 1, 0, 4, 0],
    [0, 3, 3, 0, 0],
    [1, 0, 0, 5, 0],
    [0, 2, 0, 3, 1],
    [0, 0, 5, 0, 1],
    [3, 0, 0, 1, 2],
    [5, 1, 0, 0, 0],
    [0, 2, 0, 4, 0],
    [1, 0, 2, 0, 3],
    [0, 0, 0, 0, 6],
    [0, 1, 0, 5, 0],
    [0, 2, 0, 1, 3],
    [2, 0, 0, 4, 0],
    [1, 0, 0, 4, 1],
    [0, 5, 0, 1, 0],
    [4, 0, 0, 0, 2],
    [0, 2, 0, 4, 0],
    [1, 0, 5, 0, 0],
    [0, 0, 0, 0, 6],
]

# The worked example on Wikipedia's "Fleiss' kappa" page: 10 items, 14 raters.
FLEISS_WIKIPEDIA = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C:
# observers A-D (rows) over 12 units (columns), None where a value is missing.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def krippendorff_ratings() -> Ratings:
    units = list(zip(*KRIPPENDORFF_2011, strict=True))
    return from_rows([list(unit) for unit in units])


# --- published worked examples -------------------------------------------------


def test_fleiss_1971_table() -> None:
    result = fleiss_kappa(from_counts(FLEISS_1971))
    assert result.value == pytest.approx(0.430, abs=5e-4)
    assert result.n == 30


def test_fleiss_wikipedia_example() -> None:
    result = fleiss_kappa(from_counts(FLEISS_WIKIPEDIA))
    assert result.value == pytest.approx(0.210, abs=5e-4)
    assert percent_agreement(from_counts(FLEISS_WIKIPEDIA)).value == pytest.approx(
        0.378, abs=5e-4
    )


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_worked_example(level: Any, published: float) -> None:
    result = krippendorff_alpha(krippendorff_ratings(), level)
    assert result.value == pytest.approx(published, abs=5e-4)
    # Unit 12 has a single value, so 40 of the 41 values are pairable.
    assert result.n == 40


def test_cohen_textbook_example() -> None:
    # 50 grant proposals read by two readers: 20 yes/yes, 5 yes/no, 10 no/yes,
    # 15 no/no; p_o = 0.7, p_e = 0.5, so kappa = 0.4.
    ratings = from_pairs(
        {("yes", "yes"): 20, ("yes", "no"): 5, ("no", "yes"): 10, ("no", "no"): 15}
    )
    result = cohen_kappa(ratings, "a", "b")
    assert (result.value, result.n) == (pytest.approx(0.4), 50)
    assert confusion_matrix(ratings, "a", "b").tolist() == [[15, 10], [5, 20]]


def test_cohen_weighted_hand_computed() -> None:
    # a: 1 2 3, b: 1 3 3 on the scale 1..3. Linear: observed weighted
    # disagreement 1/3; expected (1/9) * sum_ij |i-j| a_i b_j = 8/9 / 3 ... see below.
    ratings = from_rows([[1, 1], [2, 3], [3, 3]])
    # marginals a = (1, 1, 1), b = (1, 0, 2); E_ij = a_i b_j / 3
    # linear: sum w*E = (0 + 0 + 2*2 + 1*1 + 0 + 1*2 + 2*1 + 0 + 0) / 3 = 3
    # sum w*O = 1, so kappa = 1 - 1/3.
    assert cohen_kappa(ratings, "r0", "r1", "linear").value == pytest.approx(2 / 3)
    # quadratic: sum w*E = (4*2 + 1*1 + 1*2 + 4*1) / 3 = 5, kappa = 1 - 1/5.
    assert cohen_kappa(ratings, "r0", "r1", "quadratic").value == pytest.approx(0.8)


# --- small tables, good and undefined ------------------------------------------

PERFECT = from_rows([["x", "x"], ["y", "y"]])
ONE_CATEGORY = from_rows([["x", "x"], ["x", "x"]])
SINGLETONS = from_rows([["x", None], [None, "y"]])
EMPTY: Ratings = {}


@pytest.mark.parametrize(
    ("metric", "ratings", "value", "reason"),
    [
        (percent_agreement, PERFECT, 1.0, None),
        (percent_agreement, ONE_CATEGORY, 1.0, None),
        (percent_agreement, SINGLETONS, None, "at least two annotators"),
        (percent_agreement, EMPTY, None, "at least two annotators"),
        (fleiss_kappa, PERFECT, 1.0, None),
        (fleiss_kappa, ONE_CATEGORY, None, "only one category"),
        (fleiss_kappa, SINGLETONS, None, "at least two annotators"),
        (fleiss_kappa, EMPTY, None, "at least two annotators"),
        (krippendorff_alpha, PERFECT, 1.0, None),
        (krippendorff_alpha, ONE_CATEGORY, None, "only one category"),
        (krippendorff_alpha, SINGLETONS, None, "at least two annotators"),
        (gwet_ac1, PERFECT, 1.0, None),
        # AC1 stays defined with one category used: chance agreement is 0.
        (gwet_ac1, ONE_CATEGORY, None, "fewer than two categories"),
        (gwet_ac1, SINGLETONS, None, "at least two annotators"),
        (lambda r: cohen_kappa(r, "r0", "r1"), PERFECT, 1.0, None),
        (lambda r: cohen_kappa(r, "r0", "r1"), ONE_CATEGORY, None, "only one"),
        (lambda r: cohen_kappa(r, "r0", "r1"), SINGLETONS, None, "no item in common"),
        (lambda r: cohen_kappa(r, "r0", "zed"), PERFECT, None, "'zed' rated no item"),
    ],
)
def test_small_tables(
    metric: Callable[[Ratings], MetricResult],
    ratings: Ratings,
    value: float | None,
    reason: str | None,
) -> None:
    result = metric(ratings)
    assert result.value == value
    if reason is None:
        assert result.undefined_reason is None
    else:
        assert reason in str(result.undefined_reason)


def test_gwet_ac1_with_declared_unused_category() -> None:
    # Both annotators chose "x" everywhere on a two-category scale: pi = (1, 0),
    # chance agreement 0, AC1 = observed agreement = 1 (kappa is undefined).
    table = rating_table(ONE_CATEGORY, categories=["x", "y"])
    assert gwet_ac1(table).value == 1.0
    assert fleiss_kappa(table).defined is False


def test_gwet_ac1_hand_computed() -> None:
    # Two raters, 10 items: 4 yes/yes, 4 no/no, 1 yes/no, 1 no/yes.
    # p_a = 0.8; pi_yes = pi_no = 0.5; p_e = 2 * 0.25 / 1 = 0.5; AC1 = 0.6.
    ratings = from_pairs({("y", "y"): 4, ("n", "n"): 4, ("y", "n"): 1, ("n", "y"): 1})
    assert gwet_ac1(ratings).value == pytest.approx(0.6)


def test_gwet_ac1_skewed_prevalence() -> None:
    # The kappa paradox: 90 yes/yes, 5 yes/no, 5 no/yes, 0 no/no. kappa is
    # slightly negative, AC1 stays high: p_a = 0.9, pi_yes = 0.95,
    # p_e = 2 * 0.95 * 0.05 = 0.095, AC1 = (0.9 - 0.095) / 0.905.
    ratings = from_pairs({("y", "y"): 90, ("y", "n"): 5, ("n", "y"): 5})
    assert gwet_ac1(ratings).value == pytest.approx(0.805 / 0.905)
    assert cohen_kappa(ratings, "a", "b").value == pytest.approx(
        (0.9 - 0.905) / (1 - 0.905)
    )


# --- multi-label, annotations, reports, errors ---------------------------------


def test_per_label() -> None:
    ratings = {
        1: {"a": {"cat", "dog"}, "b": {"cat"}},
        2: {"a": set(), "b": {"dog"}},
        3: {"a": {"cat"}, "b": {"cat"}, "c": None},
    }
    agreement = per_label(ratings, percent_agreement)
    assert {k: v.value for k, v in agreement.items()} == {
        "cat": 1.0,
        "dog": pytest.approx(1 / 3),
    }
    kappa = per_label(ratings, fleiss_kappa)
    assert kappa["cat"].value == 1.0
    assert kappa["dog"].value == pytest.approx(-0.5)
    tables = per_label_tables(ratings)
    assert tables["dog"].codes.tolist() == [[1, 0, -1], [0, 1, -1], [0, 0, -1]]


def test_per_label_unknown_label() -> None:
    with pytest.raises(InvalidInput, match="not in the given label list"):
        per_label({1: {"a": {"x"}}}, percent_agreement, labels=["y"])


def test_ratings_from_annotations() -> None:
    annotations = [
        Annotation(item_id=1, author="ann", regions=[ClassRegion(label="cat")]),
        Annotation(item_id=1, author="bob", regions=[ClassRegion(label="dog")]),
        Annotation(item_id=2, user_id=7, regions=[ClassRegion(label="cat")]),
        Annotation(item_id=3, author="ann", regions=[BBox(x=0, y=0, w=1, h=1)]),
    ]
    assert ratings_from_annotations(annotations) == {
        1: {"ann": "cat", "bob": "dog"},
        2: {7: "cat"},
    }
    multi = [
        Annotation(item_id=1, author="a", regions=[ClassRegion(labels=["x", "y"])])
    ]
    assert ratings_from_annotations(multi, multi_label=True) == {
        1: {"a": frozenset({"x", "y"})}
    }
    with pytest.raises(InvalidInput, match="2 class labels"):
        ratings_from_annotations(multi)


def test_class_agreement_report() -> None:
    report = class_agreement(krippendorff_ratings(), level="interval")
    assert set(report) == {
        "percent_agreement",
        "fleiss_kappa",
        "krippendorff_alpha",
        "gwet_ac1",
    }
    assert report["krippendorff_alpha"].value == pytest.approx(0.849, abs=5e-4)
    two = class_agreement(from_rows([[1, 1], [2, 3], [3, 3]]), level="ordinal")
    assert two["cohen_kappa"].value == pytest.approx(0.8)


def test_pairwise_cohen_kappa() -> None:
    ratings = from_rows([["x", "x", "y"], ["y", "y", "y"], ["x", "x", "x"]])
    pairs = pairwise_cohen_kappa(ratings)
    assert list(pairs) == [("r0", "r1"), ("r0", "r2"), ("r1", "r2")]
    assert pairs["r0", "r1"].value == 1.0
    assert pairs["r0", "r2"].value == pytest.approx(
        cohen_kappa_score(["x", "y", "x"], ["y", "y", "x"])
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: rating_table({1: {"a": "x"}}, categories=["y"]), "not one of the"),
        (lambda: rating_table({1: {"a": {"x"}}}), "set of labels"),
        (lambda: rating_table({1: {"a": "x"}}, categories=["x", "x"]), "repeats"),
        (lambda: krippendorff_alpha({1: {"a": "x", "b": "y"}}, "interval"), "numeric"),
        (lambda: krippendorff_alpha({1: {"a": 1, "b": 2}}, "bogus"), "level must"),
        (lambda: confusion_matrix({1: {"a": 1, "b": 2}}, "a", "zed"), "'zed'"),
        (lambda: cohen_kappa({1: {"a": 1, "b": 2}}, "a", "b", "cubic"), "weights"),
    ],
)
def test_bad_input(call: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        call()


def test_metric_result_rejects_nan() -> None:
    assert MetricResult.of(float("nan"), 3).defined is False
    with pytest.raises(TypeError):
        MetricResult(float("inf"), None, 1)
    with pytest.raises(TypeError):
        MetricResult(None, None, 1)
    assert MetricResult.of(0.25, 4).to_dict() == {
        "value": 0.25,
        "undefined_reason": None,
        "n": 4,
    }


# --- against reference implementations on random data --------------------------


def quiet(call: Callable[[], float]) -> float:
    """A reference value with its division warnings silenced (NaN is compared)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return float(call())


def grids(
    max_annotators: int, missing: bool, min_annotators: int = 2
) -> st.SearchStrategy[tuple[int, list[list[int | None]]]]:
    @st.composite
    def build(draw: st.DrawFn) -> tuple[int, list[list[int | None]]]:
        q = draw(st.integers(2, 5))
        width = draw(st.integers(min_annotators, max_annotators))
        value = st.integers(0, q - 1)
        item = st.one_of(st.none(), value) if missing else value
        row = st.lists(item, min_size=width, max_size=width)
        rows = draw(st.lists(row, min_size=1, max_size=40))
        return q, rows

    return build()


@settings(max_examples=200, deadline=None)
@given(grids(2, missing=False), st.sampled_from([None, "linear", "quadratic"]))
def test_cohen_matches_sklearn(grid: tuple[int, list[list[Any]]], weights: Any) -> None:
    q, rows = grid
    table = rating_table(from_rows(rows), categories=range(q))
    ours = cohen_kappa(table, "r0", "r1", weights)
    first, second = [r[0] for r in rows], [r[1] for r in rows]
    reference = quiet(
        lambda: cohen_kappa_score(first, second, labels=list(range(q)), weights=weights)
    )
    if np.isnan(reference):
        assert not ours.defined
    else:
        assert ours.value == pytest.approx(reference, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(grids(6, missing=False))
def test_fleiss_matches_statsmodels(grid: tuple[int, list[list[Any]]]) -> None:
    q, rows = grid
    table = rating_table(from_rows(rows), categories=range(q))
    ours = fleiss_kappa(table)
    reference = quiet(lambda: sm_fleiss_kappa(table.counts(), method="fleiss"))
    if np.isnan(reference):
        assert not ours.defined
    else:
        assert ours.value == pytest.approx(reference, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    grids(6, missing=True),
    st.sampled_from(["nominal", "ordinal", "interval", "ratio"]),
)
def test_alpha_matches_krippendorff(
    grid: tuple[int, list[list[Any]]], level: Any
) -> None:
    q, rows = grid
    # Shift to 1..q so the ratio metric never meets a zero.
    shifted = [[None if v is None else v + 1 for v in row] for row in rows]
    ratings = from_rows(shifted)
    table = rating_table(ratings, categories=range(1, q + 1))
    ours = krippendorff_alpha(table, level)
    assume(ours.defined)
    data = np.array(
        [[np.nan if v is None else v for v in row] for row in shifted], dtype=float
    ).T
    reference = quiet(
        lambda: krippendorff.alpha(
            reliability_data=data,
            level_of_measurement=level,
            value_domain=list(range(1, q + 1)),
        )
    )
    assert ours.value == pytest.approx(reference, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(grids(5, missing=True))
def test_alpha_undefined_exactly_when_reference_cannot_say(
    grid: tuple[int, list[list[Any]]],
) -> None:
    q, rows = grid
    table = rating_table(from_rows(rows), categories=range(q))
    counts = table.counts()
    pairable = counts[counts.sum(axis=1) >= 2].sum(axis=0)
    ours = krippendorff_alpha(table)
    assert ours.defined == (np.count_nonzero(pairable) >= 2)
    assert ours.n == int(pairable.sum()) or not ours.defined


ALL_METRICS: list[Callable[[Any], MetricResult]] = [
    percent_agreement,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    lambda t: krippendorff_alpha(t, "ordinal"),
    lambda t: krippendorff_alpha(t, "interval"),
    lambda t: krippendorff_alpha(t, "ratio"),
    lambda t: cohen_kappa(t, "r0", "r1", "quadratic"),
]


@settings(max_examples=300, deadline=None)
@given(grids(4, missing=True))
def test_no_metric_crashes_or_returns_nan(grid: tuple[int, list[list[Any]]]) -> None:
    # Warnings are errors in this suite, so a 0/0 inside numpy fails here too.
    q, rows = grid
    table = rating_table(from_rows(rows), categories=range(q))
    for metric in ALL_METRICS:
        result = metric(table)
        assert result.defined != (result.undefined_reason is not None)
        assert result.n >= 0
    share = percent_agreement(table).value
    assert share is None or 0.0 <= share <= 1.0


@settings(max_examples=200, deadline=None)
@given(grids(2, missing=False))
def test_gwet_two_raters_textbook_formula(grid: tuple[int, list[list[Any]]]) -> None:
    q, rows = grid
    first = np.array([r[0] for r in rows])
    second = np.array([r[1] for r in rows])
    observed = float(np.mean(first == second))
    shares = [(np.mean(first == k) + np.mean(second == k)) / 2 for k in range(q)]
    chance = sum(p * (1 - p) for p in shares) / (q - 1)
    expected = (observed - chance) / (1 - chance)
    result = gwet_ac1(rating_table(from_rows(rows), categories=range(q)))
    assert result.value == pytest.approx(expected, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(grids(4, missing=True), st.lists(st.integers(0, 1), min_size=1, max_size=5))
def test_single_ratings_do_not_move_pairable_metrics(
    grid: tuple[int, list[list[Any]]], lonely: list[int]
) -> None:
    q, rows = grid
    width = len(rows[0])
    padded = rows + [[label] + [None] * (width - 1) for label in lonely]
    before = rating_table(from_rows(rows), categories=range(q))
    after = rating_table(from_rows(padded), categories=range(q))
    for metric in (percent_agreement, fleiss_kappa, krippendorff_alpha):
        assert metric(after) == metric(before)


def test_per_category_one_against_rest() -> None:
    ratings = from_rows([["x", "x"], ["y", "z"], ["z", "z"], ["x", "y"]])
    kappas = per_category(ratings, lambda t: cohen_kappa(t, "r0", "r1"))
    # "x" vs rest: r0 = (1, 0, 0, 1), r1 = (1, 0, 0, 0)
    assert kappas["x"].value == pytest.approx(
        cohen_kappa_score([1, 0, 0, 1], [1, 0, 0, 0])
    )
    assert kappas["y"].value == pytest.approx(
        cohen_kappa_score([0, 1, 0, 0], [0, 0, 0, 1])
    )
    assert kappas["z"].value == pytest.approx(
        cohen_kappa_score([0, 0, 1, 0], [0, 1, 1, 0])
    )


def test_disagreeing_items() -> None:
    ratings = {
        "same": {"a": "x", "b": "x", "c": "x"},
        "split": {"a": "x", "b": "y"},
        "alone": {"a": "z"},
        "empty": {},
        "two-one": {"a": "y", "b": "y", "c": "x"},
    }
    assert disagreeing_items(ratings) == ["split", "two-one"]
