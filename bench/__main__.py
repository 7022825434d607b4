"""Run every bench/bench_*.py (or the ones named) and print their figures."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if any(name in s.stem for name in argv)]
    print(
        f"# machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"python {platform.python_version()}, {_cores()} cores"
    )
    failed = 0
    for script in scripts:
        print(f"\n## {script.stem}", flush=True)
        done = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        failed += done.returncode != 0
    return 1 if failed else 0


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
