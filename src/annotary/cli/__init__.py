"""The ``annotary`` command line: thin verbs over the services."""

from annotary.cli.app import app, main

__all__ = ["app", "main"]
