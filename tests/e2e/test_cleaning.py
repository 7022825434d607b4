"""A manager cleans a text project in the browser: clusters, slider, decisions."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Shots, login

LINES = [
    "Ada Lovelace wrote the first program for the engine.",
    "ADA LOVELACE wrote the first program for the engine.",
    "Grace Hopper built the first compiler in the fifties.",
    "ok",
    "Katherine Johnson computed the orbits by hand.",
]


def _setup(page: Any) -> tuple[int, dict[str, int], dict[str, str]]:
    """A fresh text project with the lines above, made through the API."""
    csrf = page.request.get("/api/v1/auth/me").json()["csrf_token"]
    headers = {"X-CSRF-Token": csrf}
    project = page.request.post(
        "/api/v1/projects",
        data={"name": "E2E cleaning", "kind": "text"},
        headers=headers,
    ).json()
    pid = project["id"]
    upload = {
        "name": "notes.txt",
        "mimeType": "text/plain",
        "buffer": ("\n".join(LINES) + "\n").encode(),
    }
    done = page.request.post(
        f"/api/v1/projects/{pid}/imports",
        multipart={"files": upload},
        headers=headers,
    )
    assert done.ok, done.text()
    rows = page.request.get(f"/api/v1/projects/{pid}/items").json()["items"]
    return pid, {row["text"]: row["id"] for row in rows}, headers


def _excluded(page: Any, item_id: int) -> bool:
    return bool(page.request.get(f"/api/v1/items/{item_id}").json()["excluded"])


def test_clean_a_project_like_a_person(page: Any, shots: Shots) -> None:
    from playwright.sync_api import expect

    login(page, "admin")
    pid, ids, _ = _setup(page)
    first, copy, short = ids[LINES[0]], ids[LINES[1]], ids[LINES[3]]
    page.goto(f"/#/projects/{pid}/clean")
    page.get_by_role("heading", name="Cleaning · E2E cleaning").wait_for()

    page.get_by_role("button", name="Run checks").click()
    page.get_by_text("Checked 5 items").wait_for()
    clusters = page.get_by_test_id("cluster")
    clusters.first.wait_for()
    # The clusters and their item previews load one request at a time: wait.
    expect(clusters).to_have_count(2)
    # Exact (normalised) and near-duplicate text both pair the two Ada lines.
    names = [clusters.nth(n).get_attribute("aria-label") for n in range(2)]
    assert sorted(names) == [
        f"Cluster exact-duplicates.v1:{first}",
        f"Cluster near-duplicate-text.v1:{first}",
    ]
    for n in range(clusters.count()):
        kept = clusters.nth(n).get_by_test_id(f"member-{first}")
        other = clusters.nth(n).get_by_test_id(f"member-{copy}")
        expect(kept).to_contain_text("suggested keep")
        expect(other).to_contain_text(LINES[1][:20])
        expect(other).not_to_contain_text("suggested keep")
    shots(page, "cluster")

    # The slider's live count agrees with the flags the API lists.
    page.get_by_label("Check", exact=True).select_option("text-length.v1")
    slider = page.get_by_label("Threshold")
    flags = page.request.get(
        f"/api/v1/projects/{pid}/flags?check=text-length.v1"
    ).json()["flags"]
    for key, value in (("Home", 0.0), ("End", 1.0)):
        slider.press(key)
        expected = len({f["item_id"] for f in flags if f["score"] >= value})
        page.get_by_test_id("live-count").get_by_text(
            f"{expected} items at or above {value:.2f}"
        ).wait_for()
    slider.press("Home")
    shots(page, "threshold")

    page.get_by_role("button", name="Keep one", exact=True).first.click()
    page.get_by_text("Done: kept 1, excluded 1.").wait_for()
    assert (_excluded(page, first), _excluded(page, copy)) == (False, True)

    page.get_by_role("button", name=f"Restore #{copy}").first.click()
    page.get_by_text("Done: restored 1.").wait_for()
    assert _excluded(page, copy) is False

    page.get_by_label(f"Select item {short} (text-length.v1)").check()
    page.get_by_role("toolbar", name="Selected flagged items").get_by_role(
        "button", name="Exclude"
    ).click()
    page.get_by_text("Done: excluded 1.").wait_for()
    assert _excluded(page, short) is True
    reason = page.request.get(f"/api/v1/items/{short}").json()["exclude_reason"]
    assert "text-length" in reason
    shots(page, "decided")
