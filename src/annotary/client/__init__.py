"""Python SDK over Annotary's HTTP API, speaking the same core types."""

from annotary.client.sdk import Client

__all__ = ["Client"]
