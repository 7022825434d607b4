"""Annotary: open-source data annotation, from raw data to a training-ready dataset."""

__version__ = "0.1.0"
