"""Writing files so that nothing is lost: a temporary file beside the target, then a rename.

A reader never sees half a file, and a failed write leaves the old file as it was. Checkpoints,
images, the HTML report and graph files all go through ``replacing``.
"""
from __future__ import annotations

import contextlib
import os
import stat
import uuid
from typing import BinaryIO, Iterator

__all__ = ["open_temp", "replacing", "write_atomic"]


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


@contextlib.contextmanager
def replacing(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file to write ``path``'s new contents into; they replace ``path`` only if the block succeeds."""
    path = os.fspath(path)
    if os.path.islink(path):
        path = os.path.realpath(path)  # replace the file the link points to, not the link
    tmp, fd = open_temp(os.path.dirname(os.path.abspath(path)), os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())  # the bytes reach the disk before the rename makes them the file
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))  # overwriting keeps the old permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic(path: str | os.PathLike, data: bytes) -> str:
    """Writes ``data`` to ``path`` through ``replacing``; returns ``path``."""
    with replacing(path) as fh:
        fh.write(data)
    return os.fspath(path)
