"""Utilities: ``utils.data`` (datasets and loaders) and ``utils.hooks``."""
from . import data, hooks  # noqa: F401
