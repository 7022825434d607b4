from __future__ import annotations

import pytest

from annotary.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    SchemaError,
)
from annotary.services import annotations, projects
from annotary.services.workspace import Workspace
from tests.services.helpers import add_texts, member

SCHEMA = {"labels": [{"name": "pos", "hotkey": "1"}, {"name": "neg", "hotkey": "2"}]}


def test_create_project_stores_schema_and_first_guideline(workspace: Workspace) -> None:
    project = projects.create_project(
        workspace, "Reviews", "text", label_schema=SCHEMA, guideline_text="Be kind."
    )

    assert project.guideline_version == 1
    assert project.label_schema.names == ["pos", "neg"]
    assert project.label_schema.tools == ["class", "span"]
    (only,) = projects.list_guidelines(workspace, project.id)
    assert (only.version, only.text) == (1, "Be kind.")


@pytest.mark.parametrize(
    ("name", "kind", "schema", "error", "says"),
    [
        ("", "text", None, InvalidInput, "name"),
        ("x", "sound", None, InvalidInput, "kind 'sound'"),
        ("x", "text", {"labels": [{"name": "a"}, {"name": "a"}]}, SchemaError, "twice"),
        (
            "x",
            "text",
            {"labels": [{"name": "a", "color": "red"}]},
            SchemaError,
            "colour",
        ),
        ("x", "text", {"labelz": []}, SchemaError, "labelz"),
    ],
)
def test_create_project_rejects_bad_input(
    workspace: Workspace,
    name: str,
    kind: str,
    schema: dict | None,
    error: type,
    says: str,
) -> None:
    with pytest.raises(error, match=says):
        projects.create_project(workspace, name, kind, label_schema=schema)


def test_duplicate_project_name_is_a_conflict(workspace: Workspace) -> None:
    projects.create_project(workspace, "A", "image")
    with pytest.raises(Conflict):
        projects.create_project(workspace, "A", "text")


def test_every_guideline_change_is_a_new_version_stamped_on_annotations(
    workspace: Workspace,
) -> None:
    project = projects.create_project(workspace, "P", "text", label_schema=SCHEMA)
    (first, second) = add_texts(workspace, project.id, ["one", "two"])
    before = annotations.create_annotation(
        workspace, first, [{"type": "class", "label": "pos"}]
    )

    guideline = projects.add_guideline(
        workspace,
        project.id,
        text="v2: sarcasm counts as neg",
        label_schema={"labels": [*SCHEMA["labels"], {"name": "mixed"}]},
    )
    after = annotations.create_annotation(
        workspace, second, [{"type": "class", "label": "mixed"}]
    )

    assert guideline.version == 2
    assert [g.version for g in projects.list_guidelines(workspace, project.id)] == [
        1,
        2,
    ]
    assert (before.guideline_version, after.guideline_version) == (1, 2)
    assert projects.get_project(workspace, project.id).label_schema.names[-1] == "mixed"


def test_settings_are_validated_field_by_field(workspace: Workspace) -> None:
    project = projects.create_project(workspace, "P", "text")
    with pytest.raises(InvalidInput, match="settings.overlap"):
        projects.update_project(workspace, project.id, settings={"overlap": 0})
    updated = projects.update_project(workspace, project.id, settings={"overlap": 3})
    assert updated.settings.overlap == 3


def test_roles_gate_project_changes(workspace: Workspace) -> None:
    project = projects.create_project(workspace, "P", "text")
    annotator = member(workspace, project.id, "ann", "annotator")
    manager = member(workspace, project.id, "man", "manager")
    outsider = member(
        workspace, projects.create_project(workspace, "Q", "text").id, "out", "admin"
    )

    with pytest.raises(PermissionDenied, match="manager"):
        projects.update_project(workspace, project.id, actor=annotator, description="x")
    with pytest.raises(NotFound):
        projects.get_project(workspace, project.id, actor=outsider)
    assert (
        projects.update_project(
            workspace, project.id, actor=manager, description="ok"
        ).description
        == "ok"
    )
    visible = [p["name"] for p in projects.list_projects(workspace, actor=annotator)]
    assert visible == ["P"]


def test_only_admins_and_managers_create_projects(workspace: Workspace) -> None:
    project = projects.create_project(workspace, "P", "text")
    annotator = member(workspace, project.id, "ann", "annotator")
    manager = member(workspace, project.id, "man", "manager")

    with pytest.raises(PermissionDenied, match="create projects"):
        projects.create_project(workspace, "Mine", "text", actor=annotator)
    assert projects.create_project(workspace, "Theirs", "text", actor=manager).id


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"description": "x" * 10_001}, "description"),
        ({"guideline_text": "x" * 500_001}, "guideline text"),
    ],
)
def test_long_texts_are_bounded(workspace: Workspace, kwargs: dict, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        projects.create_project(workspace, "P", "text", **kwargs)
