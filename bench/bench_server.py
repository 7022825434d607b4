"""Server start-up and next-item latency under concurrency.

Targets (issue 2): server start to the first 200 from /api/v1/health < 2 s;
next item p95 < 20 ms with 16 concurrent clients over 100,000 items on SQLite.
Run as ``python bench/bench_server.py [items] [clients] [rounds]``.
"""

from __future__ import annotations

import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from annotary.core.models import ItemDraft
from annotary.services import projects, users
from annotary.services.items import insert_drafts
from annotary.services.workspace import Workspace, init_workspace

BATCH = 5000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def start_server(root: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTARY_")}
    command = [
        sys.executable,
        "-m",
        "annotary",
        "--workspace",
        str(root),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def stop(server: subprocess.Popen[bytes]) -> float:
    """Stop the server; return the CPU seconds (user + system) it used in all."""
    server.terminate()
    _pid, _status, usage = os.wait4(server.pid, 0)
    server.returncode = 0
    return usage.ru_utime + usage.ru_stime


def cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) a live process has used so far (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for_health(port: int, limit: float = 30.0) -> float:
    """Seconds until /api/v1/health first answers 200."""
    started = time.perf_counter()
    url = f"http://127.0.0.1:{port}/api/v1/health"
    while time.perf_counter() - started < limit:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            time.sleep(0.005)
    raise RuntimeError("the server did not answer in time")


def bench_startup(root: Path, runs: int = 5) -> None:
    times = []
    cpu = []
    for _ in range(runs):
        port = free_port()
        started = time.perf_counter()
        server = start_server(root, port)
        try:
            wait_for_health(port)
            times.append(time.perf_counter() - started)
        finally:
            cpu.append(stop(server))
    print(
        f"start to first 200 from /api/v1/health ({runs} runs, `annotary serve`): "
        f"median {statistics.median(times):.3f} s, max {max(times):.3f} s "
        f"(target < 2 s); server CPU until then: median {statistics.median(cpu):.3f} s"
    )


def fill(ws: Workspace, n: int, clients: int) -> tuple[int, list[str]]:
    project = projects.create_project(
        ws, "bench", "text", label_schema={"labels": [{"name": "a"}, {"name": "b"}]}
    )
    started = time.perf_counter()
    for start in range(0, n, BATCH):
        drafts = [
            ItemDraft(text=f"bench item {i}", content_hash=f"h{i:08d}")
            for i in range(start, min(n, start + BATCH))
        ]
        with ws.db.write() as conn:
            insert_drafts(conn, project.id, drafts, range(start, start + len(drafts)))
    print(f"setup: {n:,} items inserted in {time.perf_counter() - started:.1f} s")
    tokens = []
    for number in range(clients):
        user = users.create_user(ws, f"annotator{number}", None)
        users.set_role(ws, project.id, user.id, "annotator")
        tokens.append(users.create_token(ws, user))
    return project.id, tokens


def annotate(
    url: str,
    token: str,
    pid: int,
    rounds: int,
    out: list[float],
    barrier: threading.Barrier,
    pause: float,
) -> None:
    headers = {"Authorization": f"Token {token}"}
    body = {"regions": [{"type": "class", "label": "a"}]}
    jitter = random.Random(token)
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        barrier.wait()
        for _ in range(rounds):
            if pause:  # the person reads and labels; 0.5x to 1.5x the pause
                time.sleep(pause * jitter.uniform(0.5, 1.5))
            started = time.perf_counter()
            got = client.post(f"/api/v1/projects/{pid}/queue/next")
            out.append(time.perf_counter() - started)
            got.raise_for_status()
            item = got.json()["item"]["id"]
            client.post(
                f"/api/v1/items/{item}/annotations", json=body
            ).raise_for_status()


def bench_next_item(root: Path, n: int, clients: int, rounds: int) -> None:
    ws = init_workspace(root)
    pid, tokens = fill(ws, n, clients)
    ws.close()
    # Without a pause every client asks again the moment it is answered: the
    # server's saturation, where latency is mostly waiting in line. With one,
    # each client behaves like a (very fast) annotator: one item a second.
    for pause in (0.0, 1.0):
        run_clients(root, pid, tokens, rounds, pause)


def run_clients(
    root: Path, pid: int, tokens: list[str], rounds: int, pause: float
) -> None:
    clients = len(tokens)
    port = free_port()
    server = start_server(root, port)
    try:
        wait_for_health(port)
        url = f"http://127.0.0.1:{port}"
        latencies: list[list[float]] = [[] for _ in tokens]
        barrier = threading.Barrier(len(tokens))
        threads = [
            threading.Thread(
                target=annotate,
                args=(url, token, pid, rounds, latencies[i], barrier, pause),
            )
            for i, token in enumerate(tokens)
        ]
        cpu_before = cpu_seconds(server.pid)
        client_before = time.process_time()
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        cpu_after = cpu_seconds(server.pid)
        client_cpu = time.process_time() - client_before
    finally:
        cpu = stop(server)
    if cpu_before is not None and cpu_after is not None:
        cpu = cpu_after - cpu_before  # the load phase only, start-up left out
    flat = sorted(x * 1000 for per in latencies for x in per)
    quantiles = statistics.quantiles(flat, n=100)
    mode = f"pausing ~{pause:g} s between items" if pause else "no pause"
    print(
        f"next item, {clients} concurrent clients ({mode}), SQLite, "
        f"{len(flat)} calls (each followed by a submit): "
        f"p50 {quantiles[49]:.1f} ms, p95 {quantiles[94]:.1f} ms, "
        f"p99 {quantiles[98]:.1f} ms (target p95 < 20 ms); "
        f"{len(flat) / wall:.0f} next+submit cycles/s; "
        f"server CPU {cpu / len(flat) * 1000:.1f} ms per cycle, "
        f"client CPU {client_cpu / len(flat) * 1000:.1f} ms per cycle; "
        f"load {os.getloadavg()[0]:.1f}"
    )


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 100_000
    clients = int(argv[1]) if len(argv) > 1 else 16
    rounds = int(argv[2]) if len(argv) > 2 else 30
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"# {os.cpu_count()} cores, python {sys.version.split()[0]}, load {load}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        bench_next_item(root, n, clients, rounds)
        bench_startup(root)


if __name__ == "__main__":
    main(sys.argv[1:])
