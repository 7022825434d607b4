"""Integer path and query parameters, bounded to what the database holds.

Every integer a route takes from the URL is one of these, so that an id past
64 bits (or a version past 32) is a 422 that names the parameter, never a
database error. A test walks the OpenAPI document and fails on a bare ``int``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

from annotary.core.ids import MAX_ID, MAX_VERSION

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]
QueryVersion = Annotated[int, Query(ge=1, le=MAX_VERSION)]
# In request bodies.
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
BodyVersion = Annotated[int, Field(ge=1, le=MAX_VERSION)]
