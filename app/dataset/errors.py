"""The one error type the dataset core raises for bad, hostile or unreadable datasets."""

from __future__ import annotations


class DatasetError(Exception):
    """A dataset that cannot be written or read as asked; the message is meant for the user."""
