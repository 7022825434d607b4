"""Tables, engines and transactions. Used only by services and jobs."""

from annotary.storage.engine import Database, inserted_id
from annotary.storage.tables import metadata

__all__ = ["Database", "inserted_id", "metadata"]
