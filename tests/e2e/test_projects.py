"""A manager creates a project in the browser, edits its guideline and members."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Shots, login


def test_create_project_new_guideline_version_members_settings(
    page: Any, shots: Shots
) -> None:
    login(page, "admin")
    page.get_by_role("link", name="New project").click()
    page.get_by_label("Name", exact=True).fill("E2E vehicles")
    page.get_by_label("Description").fill("cars and buses")
    for n, (name, key) in enumerate((("car", "c"), ("bus", "b")), start=1):
        page.get_by_role("button", name="+ Add label").click()
        page.get_by_label(f"Label {n} name").fill(name)
        page.get_by_label(f"Label {n} hotkey").fill(key)
    page.get_by_label("Label 2 description").fill("seats more than nine")
    page.get_by_label("Guideline text (Markdown)").fill(
        "# Vehicles\n\n- **car**: any car"
    )
    page.get_by_role("tab", name="Preview").click()
    preview = page.get_by_test_id("guideline-preview")
    assert preview.inner_html() == (
        "<h1>Vehicles</h1>\n<ul><li><strong>car</strong>: any car</li></ul>"
    )
    shots(page, "new-project")
    page.get_by_role("button", name="Create project").click()

    badge = page.get_by_test_id("guideline-version")
    badge.wait_for()
    assert badge.inner_text() == "guideline v1 (current)"
    pid = int(page.url.split("/projects/")[1].split("/")[0])
    project = page.request.get(f"/api/v1/projects/{pid}").json()
    labels = project["label_schema"]["labels"]
    assert [(x["name"], x["hotkey"]) for x in labels] == [("car", "c"), ("bus", "b")]
    assert labels[1]["description"] == "seats more than nine"
    assert project["label_schema"]["tools"] == ["bbox", "class"]

    # A changed guideline becomes version 2; settings keep what the form lacks.
    page.get_by_role("tab", name="Write").click()
    page.get_by_label("Guideline text (Markdown)").fill("# Vehicles\n\nBoxes only.")
    page.get_by_label("Annotators per item (overlap)").fill("2")
    page.get_by_label("Queue order").select_option("random")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Guideline version 2 is now current.").wait_for()
    assert badge.inner_text() == "guideline v2 (current)"
    versions = page.request.get(f"/api/v1/projects/{pid}/guidelines").json()
    assert [(v["version"], v["text"]) for v in versions][-1] == (
        2,
        "# Vehicles\n\nBoxes only.",
    )
    settings = page.request.get(f"/api/v1/projects/{pid}").json()["settings"]
    assert (settings["overlap"], settings["queue_order"]) == (2, "random")
    assert settings["review_policy"] == "none"

    # Members: add bob as a reviewer, then make him an annotator.
    page.get_by_label("User name or id").fill("bob")
    page.get_by_label("Role", exact=True).select_option("reviewer")
    page.get_by_role("button", name="Add member").click()
    role = page.get_by_label("Role of bob")
    role.wait_for()
    assert role.input_value() == "reviewer"
    role.select_option("annotator")
    page.wait_for_timeout(300)
    members = page.request.get(f"/api/v1/projects/{pid}/members").json()
    assert {m["username"]: m["role"] for m in members}["bob"] == "annotator"
    shots(page, "project-settings")


def test_data_manager_search_and_exclude(page: Any, shots: Shots) -> None:
    login(page, "admin")
    card = page.locator("li.card", has_text="Demo: movie review sentiment")
    card.get_by_role("link", name="Data").click()
    total = page.get_by_test_id("total")
    page.get_by_role("grid", name="Items").get_by_role("row").first.wait_for()
    assert total.inner_text() == "200 items"
    pid = int(page.url.split("/projects/")[1].split("/")[0])

    found = page.request.get(f"/api/v1/projects/{pid}/items?q=film&limit=1").json()
    assert 0 < found["total"] < 200
    page.get_by_label("Search").fill("film")
    page.get_by_test_id("total").filter(has_text=f"{found['total']} items").wait_for()
    rows = page.get_by_role("grid", name="Items").get_by_role("row")
    ids = [int(rows.nth(i).get_by_role("button").inner_text()[1:]) for i in range(2)]
    for item_id in ids:
        page.get_by_label(f"Select item {item_id}").check()
    shots(page, "data-manager-selected")
    page.get_by_role("button", name="Exclude").click()
    page.get_by_text("Excluded 2 items.").wait_for()
    for item_id in ids:
        assert page.request.get(f"/api/v1/items/{item_id}").json()["excluded"] is True
    shots(page, "data-manager-excluded")


def test_log_out_in_the_browser_ends_the_session(page: Any, shots: Shots) -> None:
    login(page, "admin")
    cookie = next(c for c in page.context.cookies() if c["name"] == "annotary_session")
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("User name").wait_for()
    shots(page, "logged-out")
    # The old cookie, sent again, names a session the server has ended.
    page.context.add_cookies([cookie])
    again = page.request.get("/api/v1/auth/me")
    assert again.status == 401
    assert again.json()["message"] == "your session has ended; log in again"
