"""The check contract, the runner and the suggested decisions.

A check reads items (and the local file of their bytes, if any) and yields
flags; it never deletes or rewrites anything. Checks are registered under the
``annotary.checks`` entry-point group with versioned names (``blur.v1``).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field, computed_field

from annotary import plugins
from annotary.core.models import Item
from annotary.errors import InvalidInput

log = logging.getLogger("annotary.clean")

Decision = Literal["keep", "exclude"]

# Checks whose flags mean the item cannot be labelled at all; the base name
# (without ".vN") so that a new version keeps the same meaning.
EXCLUDING_CHECKS: frozenset[str] = frozenset({"corrupt-file", "empty-text"})


@dataclass(slots=True)
class CheckInput:
    """One item as a check sees it."""

    item: Item
    path: Path | None = None


class Flag(BaseModel):
    """One finding about one item; the shape of a row of the ``flags`` table."""

    item_id: int
    check: str
    score: float
    reason: str
    cluster: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


@runtime_checkable
class Check(Protocol):
    """What every check provides.

    A check may also carry ``defaults`` (a mapping of its parameters and their
    default values); the runner reports them merged with the caller's values.
    """

    name: str
    kinds: frozenset[str]

    def run(
        self, inputs: Iterable[CheckInput], *, params: dict[str, Any]
    ) -> Iterator[Flag]: ...


class CheckRun(BaseModel):
    """What one check did in one run."""

    name: str
    params: dict[str, Any] = Field(default_factory=dict)
    items: int = 0
    flagged: int = 0
    flags: int = 0
    clusters: int = 0
    seconds: float = 0.0


class CleanReport(BaseModel):
    """The result of :func:`run_checks`: checks run, thresholds, counts, flags."""

    kind: str
    items: int = 0
    checks: list[CheckRun] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    seconds: float = 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counts(self) -> dict[str, int]:
        """Flagged items per check name."""
        return {run.name: run.flagged for run in self.checks}


def merge_params(
    check: str,
    defaults: Mapping[str, Any],
    params: Mapping[str, Any] | None,
    *,
    nullable: Iterable[str] = (),
) -> dict[str, Any]:
    """Defaults overlaid with ``params``; an unknown parameter is an error, and
    so is a value of another type than its default (None only for the names
    in ``nullable``, where None turns something off).

    Example:
        >>> merge_params("blur.v1", {"threshold": 100.0}, {"threshold": 50})
        {'threshold': 50}
    """
    given = dict(params or {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        known = ", ".join(sorted(defaults)) or "none"
        raise InvalidInput(
            f"check {check}: unknown parameter(s) {', '.join(unknown)}; known: {known}",
            check=check,
            unknown=unknown,
        )
    for key, value in list(given.items()):
        if value is None and key in nullable:
            continue
        problem = _type_problem(defaults[key], value)
        if problem:
            raise InvalidInput(
                f"check {check}: parameter {key} {problem}, not {value!r}",
                check=check,
                field=key,
            )
        default = defaults[key]
        if isinstance(default, int) and not isinstance(default, bool):
            given[key] = int(value)  # 4.0 -> 4: a whole number, checked above
    return {**defaults, **given}


def _type_problem(default: Any, value: Any) -> str | None:
    """Why ``value`` cannot stand in for ``default`` (None when it can)."""
    if default is None:
        return None
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(default, int | float):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            return "must be a number"
        if isinstance(default, int) and not float(value).is_integer():
            return "must be a whole number"
        return None
    if isinstance(default, str):
        return None if isinstance(value, str) else "must be text"
    if isinstance(default, list | tuple):
        return None if isinstance(value, list | tuple) else "must be a list"
    return None


def base_name(name: str) -> str:
    """``"blur.v1"`` -> ``"blur"``."""
    head, dot, version = name.rpartition(".v")
    return head if dot and version.isdigit() else name


def checks_for(kind: str, names: Iterable[str] | None = None) -> list[Check]:
    """The registered checks to run for a data kind (all that apply, or ``names``).

    Raises:
        NotFound: a name is not registered.
        InvalidInput: a named check does not apply to ``kind``.
    """
    if names is None:
        found = [plugins.checks.get(name) for name in plugins.checks.names()]
        return [check for check in found if kind in check.kinds]

    chosen: list[Check] = []
    for name in names:
        check = plugins.checks.get(name)
        if kind not in check.kinds:
            kinds = ", ".join(sorted(check.kinds))
            raise InvalidInput(
                f"check {check.name} does not apply to {kind} data (only {kinds})",
                check=check.name,
                kind=kind,
            )
        chosen.append(check)
    return chosen


def run_checks(
    inputs: Iterable[CheckInput],
    kind: str,
    names: Iterable[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> CleanReport:
    """Run checks over items of one data kind and collect their flags.

    Args:
        inputs: the items, each with the local file of its bytes if any.
        kind: the project's data kind ("image", "text", ...).
        names: checks to run (versioned or not); all that apply when None.
        params: per-check parameters keyed by check name (``"blur.v1"`` or
            ``"blur"``), overlaid on each check's defaults.

    Returns:
        A report with the parameters used, counts per check and every flag.

    Example:
        >>> report = run_checks(inputs, "text", names=["empty-text"])
        >>> report.counts
        {'empty-text.v1': 2}
    """
    items = list(inputs)
    return run_streamed(lambda: [items], kind, len(items), names, params)


def run_streamed(
    chunks: Callable[[], Iterable[Sequence[CheckInput]]],
    kind: str,
    items: int,
    names: Iterable[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CleanReport:
    """Run checks over items that need not all be in memory at once.

    ``chunks()`` starts a fresh pass over the items, chunk by chunk, each
    time it is called. The checks marked ``per_item`` (each item judged
    alone) share one pass and see one chunk at a time; every other check
    (the duplicate finders, the language majority) gets a pass of its own as
    one stream, and keeps only what it needs of each item (a hash, a
    signature). So memory holds one chunk plus what those checks keep.

    Args:
        chunks: called once per pass; yields the items in chunks.
        kind: the project's data kind.
        items: how many items a pass yields (for the report and progress).
        names: checks to run; all that apply when None.
        params: per-check parameters, as for :func:`run_checks`.
        progress: called with (items read, items to read over all passes).
    """
    started = time.perf_counter()
    checks = checks_for(kind, names)
    given = dict(params or {})
    _reject_unknown_checks(given, checks)
    local = [check for check in checks if getattr(check, "per_item", False)]
    whole = [check for check in checks if not getattr(check, "per_item", False)]
    total = items * ((1 if local else 0) + len(whole))
    done = 0
    log.info("cleaning %s %s items with %s checks", items, kind, len(checks))

    def own(check: Check) -> dict[str, Any]:
        return dict(given.get(check.name, given.get(base_name(check.name), {})))

    def report_progress(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    found: dict[str, list[Flag]] = {check.name: [] for check in checks}
    seconds: dict[str, float] = dict.fromkeys(found, 0.0)
    if local:
        for chunk in chunks():
            for check in local:
                begun = time.perf_counter()
                found[check.name].extend(check.run(chunk, params=own(check)))
                seconds[check.name] += time.perf_counter() - begun
            report_progress(len(chunk))

    for check in whole:

        def stream() -> Iterator[CheckInput]:
            for chunk in chunks():
                yield from chunk
                report_progress(len(chunk))

        begun = time.perf_counter()
        found[check.name] = list(check.run(stream(), params=own(check)))
        seconds[check.name] = time.perf_counter() - begun

    report = CleanReport(kind=kind, items=items)
    for check in checks:
        run = _check_run(check, own(check), items, found[check.name])
        run.seconds = seconds[check.name]
        log.info("check %s flagged %s of %s items", run.name, run.flagged, items)
        report.checks.append(run)
        report.flags.extend(found[check.name])
    report.seconds = time.perf_counter() - started
    log.info(
        "cleaned %s items: %s flags in %.2f s",
        items,
        len(report.flags),
        report.seconds,
    )
    return report


def _reject_unknown_checks(params: Mapping[str, Any], checks: list[Check]) -> None:
    known = {check.name for check in checks} | {base_name(c.name) for c in checks}
    unknown = sorted(set(params) - known)
    if unknown:
        raise InvalidInput(
            f"parameters given for checks that do not run: {', '.join(unknown)}",
            unknown=unknown,
        )


def _check_run(
    check: Check, given: dict[str, Any], items: int, flags: list[Flag]
) -> CheckRun:
    defaults = getattr(check, "defaults", {})
    nullable = getattr(check, "nullable_params", ())
    used = (
        merge_params(check.name, defaults, given, nullable=nullable)
        if defaults
        else given
    )
    return CheckRun(
        name=check.name,
        params=used,
        items=items,
        flagged=len({flag.item_id for flag in flags}),
        flags=len(flags),
        clusters=len({flag.cluster for flag in flags if flag.cluster is not None}),
    )


def suggest_decisions(
    flags: Iterable[Flag], excluding: frozenset[str] = EXCLUDING_CHECKS
) -> dict[int, Decision]:
    """A suggested keep/exclude for every flagged item.

    Duplicate clusters from all checks are merged (an item in two clusters
    joins them); each merged group keeps its lowest item id and excludes the
    rest. Items flagged by a check in ``excluding`` (corrupt files, empty
    texts) are excluded, and a group whose lowest id is excluded keeps its
    lowest remaining id instead. Every other flagged item is kept: a blurred
    photo or a short text is for a person to judge.

    Example:
        >>> suggest_decisions([Flag(item_id=3, check="empty-text.v1", ...)])
        {3: 'exclude'}
    """
    flags = list(flags)
    bad = {f.item_id for f in flags if base_name(f.check) in excluding}
    decisions: dict[int, Decision] = {f.item_id: "keep" for f in flags}
    for item_id in bad:
        decisions[item_id] = "exclude"

    for members in _merged_clusters(flags).values():
        usable = sorted(members - bad)
        for item_id in usable[1:]:
            decisions[item_id] = "exclude"
    return decisions


def _merged_clusters(flags: list[Flag]) -> dict[int, set[int]]:
    parent: dict[Any, Any] = {}

    def find(node: Any) -> Any:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for flag in flags:
        if flag.cluster is not None:
            parent[find(("item", flag.item_id))] = find(("cluster", flag.cluster))

    groups: dict[Any, set[int]] = {}
    for node in list(parent):
        if node[0] == "item":
            groups.setdefault(find(node), set()).add(node[1])
    return {min(members): members for members in groups.values()}
