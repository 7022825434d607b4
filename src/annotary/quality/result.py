"""The value a quality metric returns: a number, or "undefined" with the reason."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MetricResult:
    """A metric's value, or the reason it is undefined for the data; never NaN.

    Attributes:
        value: The metric, a finite float, or ``None`` when undefined.
        undefined_reason: Why the metric is undefined, or ``None`` when defined.
        n: How many units (items, pairs, tokens, ...) the value rests on.

    Example:
        >>> MetricResult.of(0.5, n=10).value
        0.5
        >>> MetricResult.undefined("only one category was used", n=3).defined
        False
    """

    value: float | None
    undefined_reason: str | None
    n: int

    def __post_init__(self) -> None:
        if (self.value is None) == (self.undefined_reason is None):
            raise TypeError("a MetricResult has either a value or a reason, not both")
        if self.value is not None and not math.isfinite(self.value):
            raise TypeError(f"a metric value must be finite, got {self.value!r}")

    @classmethod
    def of(cls, value: float, n: int) -> MetricResult:
        """A defined result; a non-finite value becomes undefined."""
        if not math.isfinite(value):
            return cls(None, f"the value is not finite ({value!r})", n)
        return cls(float(value), None, n)

    @classmethod
    def undefined(cls, reason: str, n: int = 0) -> MetricResult:
        """An undefined result with a sentence saying why."""
        return cls(None, reason, n)

    @property
    def defined(self) -> bool:
        return self.value is not None

    def to_dict(self) -> dict[str, float | str | int | None]:
        """Plain values for JSON (the API and ``--json`` use this)."""
        return {
            "value": self.value,
            "undefined_reason": self.undefined_reason,
            "n": self.n,
        }
