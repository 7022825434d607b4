"""The audit log's pages, filters and action list on a large log, on SQLite.

EVENTS events are written straight into the table: 98% to one big project,
2% to a small one, from 20 people, most of them annotation saves, 1% gold
answers; one person ("rare") has a single event in the big project. Then the
first page of 50, a page in the middle (``before``), a page of one action, of
one person, of the rare person, and the list of action names are timed (best
of 5), as the audit screen asks for them.

Run: python bench/bench_audit.py [EVENTS]
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from annotary.services import projects, review, users
from annotary.services.workspace import Workspace, init_workspace
from annotary.storage import tables as t

ACTIONS = (
    ["annotation.create"] * 60
    + ["annotation.update"] * 30
    + ["review.accept"] * 8
    + ["review.reject", "gold.set"]
)


def build(root: Path, n_events: int) -> tuple[Workspace, int]:
    ws = init_workspace(root)
    big = projects.create_project(ws, "big", "text").id
    small = projects.create_project(ws, "small", "text").id
    people = [users.create_user(ws, f"u{k}", None).id for k in range(20)]
    rare = users.create_user(ws, "rare", None).id
    rng = random.Random(0)
    now = datetime.now(UTC)

    def event(n: int) -> dict[str, Any]:
        return {
            "project_id": small if n % 50 == 0 else big,
            "user_id": rare if n == n_events // 3 else rng.choice(people),
            "action": rng.choice(ACTIONS),
            "target": str(n),
            "data": {"item_id": n, "state": "submitted"},
            "created_at": now,
        }

    with ws.db.write() as conn:
        for start in range(0, n_events, 20_000):
            stop = min(start + 20_000, n_events)
            conn.execute(
                t.audit_events.insert(), [event(n) for n in range(start, stop)]
            )
    return ws, big


def best_ms(call: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def main(n_events: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        ws, pid = build(Path(tmp) / "ws", n_events)
        print(f"{n_events:,} events written in {time.perf_counter() - started:.1f} s")
        try:
            middle = review.audit_log(ws, pid, limit=1)[0]["id"] // 2
            cases: dict[str, Callable[[], object]] = {
                "first page of 50": lambda: review.audit_log(ws, pid, limit=50),
                "page of 50 before the middle": lambda: review.audit_log(
                    ws, pid, limit=50, before=middle
                ),
                "50 gold.set (1% of events)": lambda: review.audit_log(
                    ws, pid, limit=50, action="gold.set"
                ),
                "50 of one person (5%)": lambda: review.audit_log(
                    ws, pid, limit=50, user="u3"
                ),
                "the one event of a rare person": lambda: review.audit_log(
                    ws, pid, limit=50, user="rare"
                ),
                "action names": lambda: review.audit_actions(ws, pid),
            }
            for name, call in cases.items():
                print(f"{name:34s} {best_ms(call):8.2f} ms")
        finally:
            ws.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500_000)
