"""A manager repairs mis-decoded text and runs the checks as a job, in the browser."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Shots, login

BROKEN = "The caf\u00c3\u00a9 opened in 1999 for everyone who came."
FIXED = "The caf\u00e9 opened in 1999 for everyone who came."
ANNOTATED = "Na\u00c3\u00afve readers met Bob at the caf\u00c3\u00a9 on Friday."
ANNOTATED_FIXED = "Na\u00efve readers met Bob at the caf\u00e9 on Friday."
SCHEMA = {"labels": [{"name": "person"}], "tools": ["span"]}


def _headers(page: Any) -> dict[str, str]:
    return {"X-CSRF-Token": page.request.get("/api/v1/auth/me").json()["csrf_token"]}


def _project(page: Any, name: str, lines: list[str]) -> tuple[int, dict[str, int]]:
    headers = _headers(page)
    made = page.request.post(
        "/api/v1/projects",
        data={"name": name, "kind": "text", "label_schema": SCHEMA},
        headers=headers,
    )
    assert made.ok, made.text()
    pid = made.json()["id"]
    upload = {
        "name": "lines.txt",
        "mimeType": "text/plain",
        "buffer": ("\n".join(lines) + "\n").encode(),
    }
    done = page.request.post(
        f"/api/v1/projects/{pid}/imports", multipart={"files": upload}, headers=headers
    )
    assert done.ok, done.text()
    ids: dict[str, int] = {}
    cursor = ""
    while True:
        page_ = page.request.get(
            f"/api/v1/projects/{pid}/items?limit=500&cursor={cursor}"
        ).json()
        ids.update({row["text"]: row["id"] for row in page_["items"]})
        cursor = page_.get("next_cursor") or ""
        if not cursor:
            return pid, ids


def test_repair_a_mojibake_text_from_the_browser(page: Any, shots: Shots) -> None:
    from playwright.sync_api import expect

    login(page, "admin")
    pid, ids = _project(
        page, "E2E repairs", [BROKEN, ANNOTATED, "Grace Hopper built a compiler."]
    )
    broken, annotated = ids[BROKEN], ids[ANNOTATED]
    made = page.request.post(
        f"/api/v1/items/{annotated}/annotations",
        data={"regions": [{"type": "span", "start": 17, "end": 20, "label": "person"}]},
        headers=_headers(page),
    )
    assert made.ok, made.text()

    page.goto(f"/#/projects/{pid}/clean")
    page.get_by_role("button", name="Run checks").click()
    page.get_by_text("Checked 3 items").wait_for()

    row = page.get_by_test_id(f"repair-{broken}")
    expect(row.locator(".original")).to_have_text(BROKEN)
    expect(row.locator(".repaired")).to_have_text(FIXED)
    offered = page.get_by_test_id(f"repair-{annotated}")
    expect(offered.locator(".repaired")).to_have_text(ANNOTATED_FIXED)
    expect(
        offered.get_by_role("button", name=f"Apply repair #{annotated}")
    ).to_be_disabled()
    expect(offered).to_contain_text(
        "offered only: 1 annotation(s) point into this text"
    )
    expect(page.get_by_role("button", name="Apply all repairs (1)")).to_be_enabled()
    shots(page, "repairs-offered")

    row.get_by_role("button", name=f"Apply repair #{broken}").click()
    page.get_by_text(
        f"Repaired #{broken}; its earlier text is kept as revision 1."
    ).wait_for()
    expect(row).to_contain_text("repaired")
    expect(page.get_by_role("button", name="Apply all repairs (0)")).to_be_disabled()
    shots(page, "repaired")

    item = page.request.get(f"/api/v1/items/{broken}").json()
    assert item["text"] == FIXED
    assert item["meta"]["revisions"][0]["text"] == BROKEN
    assert item["meta"]["revisions"][0]["by"] == "admin"
    # The annotated text is untouched, and the API refuses to rewrite it.
    refused = page.request.post(
        f"/api/v1/projects/{pid}/items/{annotated}/repair",
        data={},
        headers=_headers(page),
    )
    assert refused.status == 409
    assert "offered, not applied" in refused.text()
    assert page.request.get(f"/api/v1/items/{annotated}").json()["text"] == ANNOTATED

    # The run's report counts the repair among the decisions taken.
    (run,) = page.request.get(f"/api/v1/projects/{pid}/clean/runs").json()
    assert run["decisions"]["repair"] == 1
    expect(page.get_by_test_id(f"run-{run['id']}")).to_contain_text("repaired 1")


def test_checks_run_as_a_job_with_progress(page: Any, shots: Shots) -> None:
    from playwright.sync_api import expect

    login(page, "admin")
    lines = [f"Review number {n} says the product is fine." for n in range(6000)]
    lines[10] = "ok"
    pid, ids = _project(page, "E2E clean job", lines)
    assert len(ids) == 6000

    page.goto(f"/#/projects/{pid}/clean")
    page.get_by_role("button", name="Run checks").click()
    progress = page.get_by_test_id("clean-progress")
    # A pass reads 1000 items at a time and reports each chunk: mid-way
    # progress shows before the results.
    expect(progress).to_contain_text("Checking:", timeout=30_000)
    text = progress.inner_text()
    shots(page, "progress")
    page.get_by_text("Checked 6000 items").wait_for(timeout=120_000)
    expect(progress).to_have_count(0)
    assert "item reads" in text, text

    jobs = page.request.get(f"/api/v1/projects/{pid}/clean/runs").json()
    assert jobs[0]["items"] == 6000
    assert jobs[0]["counts"]["text-length.v1"] == 1
    flags = page.request.get(
        f"/api/v1/projects/{pid}/flags?check=text-length.v1"
    ).json()["flags"]
    assert [f["item_id"] for f in flags] == [ids["ok"]]
    expect(page.get_by_role("table", name="Last run")).to_contain_text("text-length.v1")
    shots(page, "results")
