"""Engines and transactions.

SQLite (the default) runs in WAL mode: reads are concurrent and every write
transaction goes through one writer, taken with ``BEGIN IMMEDIATE`` under a
process-wide lock, so writers queue instead of failing with "database is
locked". PostgreSQL needs none of that.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, CursorResult, Engine, create_engine, event
from sqlalchemy.exc import DataError, DBAPIError

from annotary.errors import InvalidInput

log = logging.getLogger("annotary.storage")
VERSIONS = Path(__file__).parent / "migrations" / "versions"


def head_revision() -> str:
    """The newest migration's revision, read from the file names.

    Revisions are numbered ``0001``, ``0002``, ... in one chain (a test holds
    the migration scripts to that), so the head is the highest number.
    """
    numbers = [path.name[:4] for path in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py")]
    return max(numbers)


class Database:
    """One database: an engine plus the write discipline its dialect needs."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._write_lock = threading.RLock()
        kwargs: dict[str, Any] = {
            "echo": echo,
            "future": True,
            "json_deserializer": read_json,
        }
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 60}
            if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
                raise ValueError("use a file for SQLite; :memory: is not shared")
        else:
            kwargs["pool_size"] = 20
            kwargs["max_overflow"] = 20
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)

    def create_all(self) -> None:
        """Create or upgrade the tables (Alembic migrations).

        A database already at the newest revision is left alone without
        loading Alembic, which is most of a server's start-up otherwise.
        """
        if self.revision() == head_revision():
            return
        from annotary.storage.migrate import upgrade

        with self.write() as conn:
            upgrade(conn)

    def revision(self) -> str | None:
        """The schema revision the database is at; None before the first."""
        try:
            with self.read() as conn:
                found = conn.exec_driver_sql(
                    "SELECT version_num FROM alembic_version"
                ).all()
        except DBAPIError:  # no alembic_version table yet
            return None
        return str(found[0][0]) if len(found) == 1 else None

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with _numbers_in_range(), self.engine.connect() as conn:
            if self.is_sqlite:
                conn.exec_driver_sql("BEGIN")
            try:
                yield conn
            finally:
                conn.rollback()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: committed on success, rolled back on error."""
        with _numbers_in_range(), self._write() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        if self.is_sqlite:
            with self._write_lock, self.engine.connect() as conn:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
        else:
            with self.engine.begin() as conn:
                yield conn


@contextmanager
def _numbers_in_range() -> Iterator[None]:
    """A number the database cannot hold is bad input, never a server fault.

    Callers check ids at the edge; this is the net under them. SQLite refuses
    an integer past 64 bits with OverflowError, PostgreSQL with SQLSTATE
    22003 (numeric_value_out_of_range, also past 32 bits in an INTEGER).
    """
    try:
        yield
    except OverflowError as exc:
        if "SQLite" not in str(exc):
            raise
        raise InvalidInput(
            "a number in the request is too large to store", reason=str(exc)
        ) from exc
    except DataError as exc:
        if _sqlstate(exc) != "22003":
            raise
        raise InvalidInput(
            "a number in the request is out of range for the database"
        ) from exc


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return str(state) if state else None


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN be ours: the driver must not open transactions.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()


# 19 digits in a row: maybe an integer past 64 bits, which orjson would
# silently read as a float.
_LONG_DIGITS = re.compile(r"\d{19}")
_LONG_DIGITS_BYTES = re.compile(rb"\d{19}")


def read_json(text: str | bytes) -> Any:
    """JSON columns are read with orjson (several times faster than the
    standard library). Python's json module reads what orjson would refuse
    (NaN, Infinity) or change (integers past 64 bits)."""
    long_digits = _LONG_DIGITS_BYTES if isinstance(text, bytes) else _LONG_DIGITS
    if long_digits.search(text):  # type: ignore[arg-type]
        return json.loads(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the statement inserted no row")
    return int(key[0])
