"""Writing files so that nothing is lost: a temporary file beside the target, then a rename.

A reader never sees half a file, and a failed write leaves the old file as it was.
"""
from __future__ import annotations

import contextlib
import os
import uuid

__all__ = ["open_temp", "write_atomic"]


def open_temp(directory: str, base: str) -> tuple[str, int]:
    """A new temporary file in ``directory``, named after ``base``: ``(path, fd)`` open for writing.

    os.open with mode 0o666 (not tempfile.mkstemp's 0o600): the umask then gives the saved file
    the permissions a plain open() would have.
    """
    while True:
        tmp = os.path.join(directory, f".{base[:200]}.{uuid.uuid4().hex[:12]}.tmp")  # within NAME_MAX
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue


def write_atomic(path: str, data: bytes) -> str:
    """Writes ``data`` to a temporary file beside ``path``, then renames it into place; returns ``path``."""
    path = os.fspath(path)
    tmp, fd = open_temp(os.path.dirname(os.path.abspath(path)), os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
