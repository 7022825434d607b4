"""A manager reads a project's audit log in real Chromium: rows, filters, paging."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, Shots, login

SCHEMA = {"labels": [{"name": "pos"}, {"name": "neg"}], "tools": ["class"]}
TOGGLES = 26  # excluded and restored again: 52 events, more than one page of 50


@pytest.fixture(scope="module")
def audited(server: dict[str, Any]) -> dict[str, Any]:
    """Ines labels two texts, Rex accepts one and rejects one, admin excludes.

    Two people of this test's own: the demo's annotators stay out of the
    project, so other tests still see the projects they expect.
    """
    from annotary.services import annotations, items, projects, queue, review, users
    from annotary.services.workspace import open_workspace
    from tests.services.helpers import add_texts

    ws = open_workspace(Path(server["workspace"]))
    try:
        project = projects.create_project(ws, "E2E audit", "text", label_schema=SCHEMA)
        _good, _bad, spare = add_texts(ws, project.id, ["good", "bad", "spare"])
        admin = users.find_user(ws, "admin")
        ines = users.create_user(ws, "ines", PASSWORD)
        rex = users.create_user(ws, "rex", PASSWORD)
        users.set_role(ws, project.id, ines.id, "annotator")
        users.set_role(ws, project.id, rex.id, "reviewer")
        work = []
        for label in ("pos", "pos"):
            item = queue.next_item(ws, project.id, ines)
            assert item is not None
            regions = [{"type": "class", "label": label}]
            work.append(
                annotations.create_annotation(ws, item.id, regions, actor=ines).id
            )
        review.review_annotation(ws, work[0], "accept", actor=rex)
        review.review_annotation(
            ws, work[1], "reject", actor=rex, comment="'bad' is negative"
        )
        for _ in range(TOGGLES):
            items.update_item(ws, spare, actor=admin, excluded=True)
            items.update_item(ws, spare, actor=admin, excluded=False)
        return {"pid": project.id, "accepted": work[0], "rejected": work[1]}
    finally:
        ws.close()


def rows(page: Any) -> list[tuple[str, str, str]]:
    """(who, action, target) of every row the table shows."""
    table = page.get_by_test_id("audit-table")
    return [
        tuple(cell.strip() for cell in row[1:4])
        for row in table.locator("tbody tr").evaluate_all(
            "rows => rows.map(r => [...r.cells].map(c => c.innerText))"
        )
    ]


def test_a_manager_reads_filters_and_pages_the_audit_log(
    page: Any, shots: Shots, audited: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    pid = audited["pid"]
    login(page, "admin")
    # A change made in the browser, with nested settings in its data.
    page.goto(f"/#/projects/{pid}/edit")
    overlap = page.get_by_label("Annotators per item (overlap)")
    overlap.fill("2")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("status").filter(has_text="Saved").wait_for()
    everything = page.request.get(f"/api/v1/projects/{pid}/audit").json()
    assert len(everything) == 2 * TOGGLES + 7

    page.goto("/#/projects")
    card = page.locator("li.card", has_text="E2E audit")
    card.scroll_into_view_if_needed()
    shots(page, "project-card")
    card.get_by_role("link", name="Audit log").click()
    page.get_by_role("heading", name="Audit log: E2E audit").wait_for()
    status = page.get_by_test_id("audit-status")
    expect(status).to_have_text("50 events, newest first.")
    headers = page.get_by_role("columnheader").all_inner_texts()
    assert headers == ["When", "Who", "Action", "Target", "Details"]
    shown = rows(page)
    assert len(shown) == 50
    assert shown[0] == ("admin", "project.update", "")
    assert (
        shown[1:3] == [("admin", "item.update", f"item {everything[1]['target']}")] * 2
    )
    first = page.get_by_test_id("audit-row").first
    when = first.locator("time")
    assert when.get_attribute("title") == everything[0]["at"]
    assert when.get_attribute("datetime") == everything[0]["at"]
    assert when.inner_text() != everything[0]["at"]
    assert "settings: {" in first.locator("td").nth(4).inner_text()
    assert "overlap: 2" in first.locator("td").nth(4).inner_text()
    assert "[object" not in page.get_by_test_id("audit-table").inner_text()
    shots(page, "audit-first-page")

    page.get_by_role("button", name="Older events").click()
    expect(status).to_have_text(
        f"{len(everything)} events, newest first; that is all of them."
    )
    shown = rows(page)
    assert shown[-6:] == [
        ("rex", "review.reject", f"annotation {audited['rejected']}"),
        ("rex", "review.accept", f"annotation {audited['accepted']}"),
        ("ines", "annotation.create", f"annotation {audited['rejected']}"),
        ("ines", "annotation.create", f"annotation {audited['accepted']}"),
        ("system", "import.batch", ""),
        ("system", "project.create", "E2E audit"),
    ]
    numbered = {"item": "item", "review": "annotation", "annotation": "annotation"}

    def target(e: dict[str, Any]) -> str:
        kind = numbered.get(e["action"].split(".")[0])
        return f"{kind} {e['target']}" if kind else e["target"] or ""

    assert shown == [
        (e["user"] or "system", e["action"], target(e)) for e in everything
    ]
    assert page.get_by_role("button", name="Older events").count() == 0
    # The button went away with the last page; focus moved to the first new row.
    focused_id = page.evaluate("() => document.activeElement.id")
    assert focused_id == f"audit-event-{everything[50]['id']}"
    page.get_by_test_id("audit-row").last.scroll_into_view_if_needed()
    shots(page, "audit-all-pages")

    page.get_by_label("Action").select_option("review.reject")
    expect(status).to_have_text(
        "1 event matching the filters, newest first; that is all of them."
    )
    assert rows(page) == [("rex", "review.reject", f"annotation {audited['rejected']}")]
    details = page.get_by_test_id("audit-row").locator("td").nth(4).inner_text()
    assert details == "comment: 'bad' is negative; fix: none"
    shots(page, "audit-filtered-by-action")

    page.get_by_label("Action").select_option("")
    expect(status).to_have_text("50 events, newest first.")
    # By keyboard: a name, then Tab applies it and lands on Filter, ringed.
    page.get_by_label("User").fill("ines")
    page.keyboard.press("Tab")
    expect(status).to_have_text(
        "2 events matching the filters, newest first; that is all of them."
    )
    assert rows(page) == [
        ("ines", "annotation.create", f"annotation {audited['rejected']}"),
        ("ines", "annotation.create", f"annotation {audited['accepted']}"),
    ]
    focused = page.evaluate(
        "() => { const e = document.activeElement, s = getComputedStyle(e);"
        " return [e.textContent, s.outlineStyle, s.outlineWidth]; }"
    )
    assert focused == ["Filter", "solid", "3px"]

    page.get_by_label("User").fill("nobody")
    page.get_by_role("button", name="Filter").click()
    expect(status).to_have_text("No events match these filters.")
    assert page.get_by_test_id("audit-table").count() == 0
    shots(page, "audit-no-match")


def test_an_annotator_gets_no_audit_log(
    page: Any, shots: Shots, audited: dict[str, Any]
) -> None:
    pid = audited["pid"]
    login(page, "ines")
    card = page.locator("li.card", has_text="E2E audit")
    card.get_by_role("link", name="Label").wait_for()
    assert card.get_by_role("link", name="Audit log").count() == 0
    page.goto(f"/#/projects/{pid}/audit")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "needs the manager role" in alert.inner_text()
    assert page.get_by_test_id("audit-table").count() == 0
    assert page.get_by_label("Action").count() == 0
    shots(page, "annotator-refused")
