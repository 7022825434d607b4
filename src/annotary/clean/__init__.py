"""Cleaning checks: duplicates and quality problems, flagged and never deleted.

Each check is registered under the ``annotary.checks`` entry-point group with
a versioned name; :func:`run_checks` runs those that apply to a data kind and
:func:`suggest_decisions` proposes keep or exclude per flagged item.
"""

from annotary.clean.base import (
    Check,
    CheckInput,
    CheckRun,
    CleanReport,
    Flag,
    run_checks,
    run_streamed,
    suggest_decisions,
)

__all__ = [
    "Check",
    "CheckInput",
    "CheckRun",
    "CleanReport",
    "Flag",
    "run_checks",
    "run_streamed",
    "suggest_decisions",
]
