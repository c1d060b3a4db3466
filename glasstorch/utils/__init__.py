"""Utilities: ``utils.data`` (datasets and loaders), ``utils.hooks`` and ``utils.summary``."""
from . import checkpoint, data, hooks  # noqa: F401
from .summary import summary  # noqa: F401
