"""The HTTP server: FastAPI app factory, auth, error mapping, the UI's files."""

from annotary.server.app import create_app

__all__ = ["create_app"]
