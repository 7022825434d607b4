"""The whole permission matrix: every role against every endpoint.

Cells run against a project with members, items, a queue lease and two
annotations; after any write that succeeded the next cell gets a fresh one, so
writes in one cell cannot change the next. "staff" is a
workspace admin who is no member; "admin" to "annotator" are project roles.
"""

from __future__ import annotations

import importlib.util
import itertools
from dataclasses import dataclass
from typing import Any

import httpx

from annotary.core.models import ImportReport, ItemDraft, User
from annotary.services import annotations, prelabel, projects, queue, users
from annotary.services.imports import import_drafts
from annotary.services.workspace import Workspace

ROLES = ("staff", "admin", "manager", "reviewer", "annotator", "outsider", "anon")
MEMBER_ROLES = ("admin", "manager", "reviewer", "annotator")
HAS_INGEST = importlib.util.find_spec("annotary.ingest.readers") is not None
HAS_EXPORT = importlib.util.find_spec("annotary.formats.base") is not None
SKIP = -1  # a cell whose outcome depends on a part not merged yet

CLASS_POS = [{"type": "class", "label": "pos"}]
_names = itertools.count()


@dataclass
class World:
    """One fresh project and the ids the endpoint paths refer to."""

    pid: int
    given: int  # item the queue gave the annotator
    other: int  # item the annotator never got
    leased: int  # item the acting user holds a lease on
    mine: int  # the annotator's annotation on ``given``
    theirs: int  # the reviewer's annotation on ``given``
    spare: int  # a user who is no member
    member: int  # the annotator's user id
    job: int  # a queued pre-label job of the project
    snap: int  # a snapshot of the project (0 without the export formats)
    snap2: int  # a second one, taken after the first


def build_world(ws: Workspace, people: dict[str, User], acting: str) -> World:
    name = f"p{next(_names)}"
    project = projects.create_project(
        ws, name, "text", label_schema={"labels": [{"name": "pos"}, {"name": "neg"}]}
    )
    pid = project.id
    for role in MEMBER_ROLES:
        users.set_role(ws, pid, people[role].id, role)
    drafts = [
        ItemDraft(text=f"item {i}", content_hash=f"{name}-{i}", source="t")
        for i in range(4)
    ]
    import_drafts(ws, pid, drafts, report=ImportReport(project=name))

    given = queue.next_item(ws, pid, people["annotator"])
    assert given is not None
    mine = annotations.create_annotation(
        ws, given.id, CLASS_POS, actor=people["annotator"]
    )
    theirs = annotations.create_annotation(
        ws, given.id, CLASS_POS, actor=people["reviewer"]
    )
    page = projects_items(ws, pid)
    leased = page[-1]
    if acting in ("staff", *MEMBER_ROLES):
        held = queue.next_item(ws, pid, people[acting])
        assert held is not None
        leased = held.id
    other = next(i for i in page if i not in (given.id, leased))
    job = prelabel.submit_prelabel(ws, pid, "rule-patterns.v1")
    snap = snap2 = 0
    if HAS_EXPORT:
        from annotary.services import snapshots

        snap = snapshots.create_snapshot(ws, pid)["id"]
        snap2 = snapshots.create_snapshot(ws, pid)["id"]
    return World(
        pid=pid,
        given=given.id,
        other=other,
        leased=leased,
        mine=mine.id or 0,
        theirs=theirs.id or 0,
        spare=people["spare"].id,
        member=people["annotator"].id,
        job=job,
        snap=snap,
        snap2=snap2,
    )


def projects_items(ws: Workspace, pid: int) -> list[int]:
    from annotary.services.items import list_items

    return [row["id"] for row in list_items(ws, pid)["items"]]


def codes(*values: int) -> dict[str, int]:
    """Expected status per role, in ROLES order."""
    assert len(values) == len(ROLES)
    return dict(zip(ROLES, values, strict=True))


OK_ALL = codes(200, 200, 200, 200, 200, 200, 401)
MEMBERS_READ = codes(200, 200, 200, 200, 200, 404, 401)
MANAGERS = codes(200, 200, 200, 403, 403, 404, 401)
REVIEWERS = codes(200, 200, 200, 200, 403, 404, 401)
ING = 200 if HAS_INGEST else SKIP
EXP = 200 if HAS_EXPORT else SKIP


def exp(expected: dict[str, int]) -> dict[str, int]:
    """``expected``, or SKIP in every cell when the export formats are missing."""
    return expected if HAS_EXPORT else dict.fromkeys(expected, SKIP)


# (method, path, json body, expected codes); paths use World's field names.
MATRIX: list[tuple[str, str, Any, dict[str, int]]] = [
    ("GET", "/health", None, codes(200, 200, 200, 200, 200, 200, 200)),
    ("POST", "/auth/login", "login", codes(200, 200, 200, 200, 200, 200, 401)),
    ("POST", "/auth/logout", None, codes(204, 204, 204, 204, 204, 204, 204)),
    ("GET", "/auth/me", None, OK_ALL),
    ("POST", "/tokens", {"name": "ci"}, codes(201, 201, 201, 201, 201, 201, 401)),
    ("GET", "/users", None, codes(200, 403, 403, 403, 403, 403, 401)),
    (
        "POST",
        "/users",
        {"username": "u{n}", "password": "long enough"},
        codes(201, 403, 403, 403, 403, 403, 401),
    ),
    ("GET", "/projects", None, OK_ALL),
    (
        "POST",
        "/projects",
        {"name": "new{n}", "kind": "text"},
        codes(201, 201, 201, 403, 403, 403, 401),
    ),
    ("GET", "/projects/{pid}", None, MEMBERS_READ),
    ("PATCH", "/projects/{pid}", {"description": "d"}, MANAGERS),
    ("GET", "/projects/{pid}/guidelines", None, MEMBERS_READ),
    (
        "POST",
        "/projects/{pid}/guidelines",
        {"text": "v2"},
        codes(201, 201, 201, 403, 403, 404, 401),
    ),
    ("GET", "/projects/{pid}/members", None, MANAGERS),
    ("PUT", "/projects/{pid}/members/{spare}", {"role": "annotator"}, MANAGERS),
    (
        "PUT",
        "/projects/{pid}/members/{spare}",
        {"role": "admin"},
        codes(200, 200, 403, 403, 403, 404, 401),
    ),
    (
        "DELETE",
        "/projects/{pid}/members/{member}",
        None,
        codes(204, 204, 204, 403, 403, 404, 401),
    ),
    ("GET", "/projects/{pid}/items", None, MEMBERS_READ),
    (
        "POST",
        "/projects/{pid}/items/bulk",
        {"ids": ["{other}"], "action": "exclude"},
        MANAGERS,
    ),
    ("GET", "/items/{given}", None, MEMBERS_READ),
    ("GET", "/items/{other}", None, codes(200, 200, 200, 200, 403, 404, 401)),
    ("PATCH", "/items/{given}", {"split": "train"}, MANAGERS),
    # A text item has no media: 404 for those who may see it, 403 for the rest.
    ("GET", "/items/{other}/media", None, codes(404, 404, 404, 404, 403, 404, 401)),
    ("GET", "/items/{given}/annotations", None, MEMBERS_READ),
    (
        "POST",
        "/items/{given}/annotations",
        {"regions": CLASS_POS},
        # The reviewer and the annotator already annotated it: one each.
        codes(201, 201, 201, 409, 409, 404, 401),
    ),
    (
        "POST",
        "/items/{other}/annotations",
        {"regions": CLASS_POS},
        codes(201, 201, 201, 201, 403, 404, 401),
    ),
    ("GET", "/annotations/{mine}", None, MEMBERS_READ),
    ("GET", "/annotations/{theirs}", None, codes(200, 200, 200, 200, 403, 404, 401)),
    ("PUT", "/annotations/{mine}", {"version": 1, "regions": CLASS_POS}, MEMBERS_READ),
    (
        "PUT",
        "/annotations/{theirs}",
        {"version": 1, "regions": CLASS_POS},
        codes(200, 200, 200, 200, 403, 404, 401),
    ),
    (
        "PUT",
        "/annotations/{mine}",
        {"version": 1, "state": "accepted"},
        codes(200, 200, 200, 200, 403, 404, 401),
    ),
    (
        "DELETE",
        "/annotations/{mine}?version=1",
        None,
        codes(204, 204, 204, 204, 204, 404, 401),
    ),
    (
        "DELETE",
        "/annotations/{theirs}",
        None,
        codes(204, 204, 204, 204, 403, 404, 401),
    ),
    ("POST", "/projects/{pid}/queue/next", None, MEMBERS_READ),
    (
        "POST",
        "/projects/{pid}/queue/{leased}/skip",
        None,
        codes(204, 204, 204, 204, 204, 404, 401),
    ),
    (
        "POST",
        "/projects/{pid}/queue/{leased}/release",
        None,
        codes(204, 204, 204, 204, 204, 404, 401),
    ),
    ("GET", "/projects/{pid}/queue/stats", None, MANAGERS),
    (
        "POST",
        "/projects/{pid}/imports",
        "upload",
        codes(ING, ING, ING, 403, 403, 404, 401),
    ),
    (
        "POST",
        "/projects/{pid}/imports/paths",
        {"paths": ["/etc"]},
        codes(403, 403, 403, 403, 403, 404, 401),
    ),
    (
        "POST",
        "/projects/{pid}/exports",
        {"format": "jsonl"},
        codes(EXP, EXP, EXP, 403, 403, 404, 401),
    ),
    ("GET", "/projects/{pid}/exports/formats", None, exp(MANAGERS)),
    # Snapshots and splits (services/snapshots.py, services/splits.py).
    (
        "POST",
        "/projects/{pid}/snapshots",
        {"format": "jsonl"},
        exp(codes(201, 201, 201, 403, 403, 404, 401)),
    ),
    ("GET", "/projects/{pid}/snapshots", None, REVIEWERS),
    ("GET", "/snapshots/{snap}", None, exp(REVIEWERS)),
    ("GET", "/snapshots/{snap}/manifest", None, exp(REVIEWERS)),
    ("GET", "/snapshots/{snap}/diff/{snap2}", None, exp(REVIEWERS)),
    ("GET", "/snapshots/{snap}/download", None, exp(REVIEWERS)),
    (
        "POST",
        "/projects/{pid}/splits",
        {"strategy": "stratified", "ratios": {"train": 1, "test": 1}, "seed": 3},
        MANAGERS,
    ),
    ("GET", "/projects/{pid}/splits", None, REVIEWERS),
    ("GET", "/projects/{pid}/leakage", None, REVIEWERS),
    ("POST", "/projects/{pid}/clean", {"checks": ["empty-text"]}, MANAGERS),
    ("GET", "/projects/{pid}/flags", None, MANAGERS),
    ("GET", "/projects/{pid}/flags/count?check=empty-text&threshold=0", None, MANAGERS),
    ("GET", "/projects/{pid}/clusters", None, MANAGERS),
    ("POST", "/projects/{pid}/decisions", {"decisions": {}}, MANAGERS),
    ("POST", "/projects/{pid}/clean/apply-suggestions", None, MANAGERS),
    ("POST", "/projects/{pid}/clean/keep-one", {}, MANAGERS),
    ("POST", "/projects/{pid}/items/{other}/repair", {"text": "item x"}, MANAGERS),
    ("POST", "/projects/{pid}/clean/repairs", None, MANAGERS),
    ("GET", "/projects/{pid}/clean/runs", None, MANAGERS),
    (
        "POST",
        "/projects/{pid}/prelabel",
        {"model": "rule-patterns.v1"},
        codes(202, 202, 202, 403, 403, 404, 401),
    ),
    ("GET", "/prelabelers", None, OK_ALL),
    # The world has one labelled item: managers pass the role check and are
    # refused for too few labels (422), before any job is queued.
    ("POST", "/projects/{pid}/retrain", None, codes(422, 422, 422, 403, 403, 404, 401)),
    ("GET", "/jobs/{job}", None, MANAGERS),
    ("POST", "/jobs/{job}/cancel", None, MANAGERS),
    ("GET", "/projects/{pid}/assistance", None, MANAGERS),
    ("GET", "/projects/{pid}/learning-curve", None, MEMBERS_READ),
    # Quality, review and gold (services/quality.py, services/review.py).
    ("GET", "/projects/{pid}/quality", None, REVIEWERS),
    ("POST", "/projects/{pid}/consensus", {"method": "majority"}, MANAGERS),
    (
        "POST",
        "/projects/{pid}/label-errors",
        {"top": 5},
        codes(422, 422, 422, 403, 403, 404, 401),  # one label in use: too few
    ),
    ("GET", "/projects/{pid}/reviews/queue", None, REVIEWERS),
    ("POST", "/annotations/{mine}/review", {"decision": "accept"}, REVIEWERS),
    ("GET", "/annotations/{mine}/reviews", None, MEMBERS_READ),
    (
        "GET",
        "/annotations/{mine}/gold-feedback",
        None,
        codes(204, 204, 204, 204, 204, 404, 401),
    ),
    ("PUT", "/projects/{pid}/gold", {"answers": {}}, MANAGERS),
    ("GET", "/projects/{pid}/gold", None, MANAGERS),
    ("GET", "/projects/{pid}/audit", None, MANAGERS),
    ("GET", "/projects/{pid}/audit/actions", None, MANAGERS),
]


def _fill(value: Any, world: World, n: int) -> Any:
    if isinstance(value, str):
        filled = value.format(n=n, **vars(world))
        return int(filled) if value.startswith("{") and filled.isdigit() else filled
    if isinstance(value, list):
        return [_fill(v, world, n) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, world, n) for k, v in value.items()}
    return value


def _call(
    client: httpx.Client, role: str, req: tuple[str, str, Any], world: World, n: int
) -> httpx.Response:
    method, path, body = req
    url = "/api/v1" + _fill(path, world, n)
    if body == "login":
        credentials = {"username": role, "password": f"password-{role}"}
        return client.request(method, url, json=credentials)
    if body == "upload":
        files = {"files": ("rows.txt", b"one\ntwo\n", "text/plain")}
        return client.request(method, url, files=files)
    return client.request(method, url, json=_fill(body, world, n))


def test_matrix_covers_every_route(live: Any) -> None:
    """A new route must get a row here, or this test fails."""
    spec = httpx.get(f"{live.url}/api/openapi.json").json()
    routes = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, ops in spec["paths"].items()
        for method in ops
    }
    covered = {(m, p.split("?")[0]) for m, p, _b, _c in MATRIX}
    assert {(m, _shape(p)) for m, p in routes} <= {(m, _shape(p)) for m, p in covered}


def _shape(path: str) -> str:
    """/items/{iid}/media and /items/{given}/media both become /items/{}/media."""
    return "/".join("{}" if part.startswith("{") else part for part in path.split("/"))


def test_permission_matrix(live: Any) -> None:
    ws = live.workspace
    people = {
        role: users.create_user(ws, role, "password-" + role)
        for role in ("admin", "manager", "reviewer", "annotator", "outsider", "spare")
    }
    people["staff"] = users.create_user(ws, "staff", "password-staff", is_admin=True)
    tokens = {
        role: users.create_token(ws, people[role]) for role in ROLES if role != "anon"
    }
    clients = {role: live.client(tokens.get(role)) for role in ROLES}

    wrong: list[str] = []
    worlds: dict[str, World] = {}
    serial = itertools.count()
    for method, path, body, expected in MATRIX:
        for role in ROLES:
            n = next(serial)
            if expected[role] == SKIP:
                continue
            if role not in worlds:
                worlds[role] = build_world(ws, people, role)
            got = _call(clients[role], role, (method, path, body), worlds[role], n)
            if method != "GET" and got.is_success:
                # A write that went through may have changed what later rows
                # rely on; failed requests roll back and change nothing.
                del worlds[role]
            if got.status_code != expected[role]:
                wrong.append(
                    f"{role:9} {method} {path}: {got.status_code}, "
                    f"expected {expected[role]} ({got.text[:120]})"
                )
            elif got.status_code >= 400:
                assert set(got.json()) == {"code", "message", "details"}
    for client in clients.values():
        client.close()
    assert not wrong, "\n".join(wrong)
