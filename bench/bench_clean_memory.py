"""Peak memory of ``run_cleaning`` over a text project (every text check).

Imports N synthetic texts (10 to 30 words each, every tenth a case-changed
copy of another) into a temporary SQLite workspace, then runs every text
check through the service and prints the peak resident set size of the
cleaning run itself, measured in a fresh child process so the import does
not count. Run: ``python bench/bench_clean_memory.py [N_TEXTS]``.
"""

from __future__ import annotations

import hashlib
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = [
    "the",
    "a",
    "river",
    "engine",
    "product",
    "review",
    "said",
    "fine",
    "bad",
    "good",
    "paris",
    "bob",
    "alice",
    "computer",
    "network",
    "item",
    "quality",
    "label",
    "data",
    "train",
    "test",
    "split",
    "cluster",
    "near",
    "duplicate",
    "photo",
    "text",
    "language",
    "english",
    "number",
    "value",
    "report",
    "check",
    "team",
]


def texts(count: int) -> list[str]:
    rng = random.Random(7)
    out: list[str] = []
    for n in range(count):
        if n % 10 == 9:
            out.append("  " + out[n - 9].upper() + " ")
        else:
            words = [rng.choice(WORDS) for _ in range(rng.randint(10, 30))]
            out.append(f"{n} " + " ".join(words) + ".")
    return out


def fill(root: Path, count: int) -> int:
    from annotary.core.models import ImportReport, ItemDraft
    from annotary.services import imports, projects
    from annotary.services.workspace import init_workspace

    ws = init_workspace(root)
    try:
        project = projects.create_project(ws, "Memory", "text")
        drafts = (
            ItemDraft(text=text, content_hash=hashlib.sha256(text.encode()).hexdigest())
            for text in texts(count)
        )
        imports.import_drafts(ws, project.id, drafts, report=ImportReport(project="m"))
        return project.id
    finally:
        ws.close()


def clean(root: str, pid: int) -> None:
    from annotary.services import cleaning
    from annotary.services.workspace import open_workspace

    ws = open_workspace(Path(root))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = cleaning.run_cleaning(ws, pid)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ws.close()
    print(
        f"{report['items']} texts, {report['flags']} flags in {seconds:.1f} s; "
        f"peak RSS {peak / 1024:.0f} MiB (after start-up {before / 1024:.0f} MiB)"
    )


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pid = fill(Path(tmp), count)
        subprocess.run([sys.executable, __file__, "--clean", tmp, str(pid)], check=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--clean"]:
        clean(sys.argv[2], int(sys.argv[3]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
