"""Long work (import, clean, pre-label, export) as jobs with progress and cancel.

A job is a row in the ``jobs`` table. Any process may run jobs: a worker claims
the oldest queued one in the database (``SKIP LOCKED`` on PostgreSQL, the one
writer on SQLite), runs the handler registered for its kind, and records
progress as it goes. Cancelling sets the state; the handler sees it at its next
progress report and stops. A job whose worker died is taken up again by
``resume_stale``.
"""

from annotary.jobs.runner import (
    JobCancelled,
    JobContext,
    Worker,
    cancel_job,
    get_job,
    handler,
    list_jobs,
    run_next,
    submit_job,
)

__all__ = [
    "JobCancelled",
    "JobContext",
    "Worker",
    "cancel_job",
    "get_job",
    "handler",
    "list_jobs",
    "run_next",
    "submit_job",
]
