"""Readers that turn files, folders and archives into item drafts."""

from annotary.ingest.encoding import detect_encoding
from annotary.ingest.readers import IngestOptions, read_sources

__all__ = ["IngestOptions", "detect_encoding", "read_sources"]
