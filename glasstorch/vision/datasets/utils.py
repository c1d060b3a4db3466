"""Fetching dataset files: md5 checks, safe downloads with mirror fallback, and one clear error.

A download never leaves a half-written file where a dataset file belongs: bytes
go to a temporary ``<name>.<random>.part`` file in the same directory, the md5
is checked, and only then is the file renamed into place with ``os.replace``
(atomic on one filesystem). On any failure the temporary file is deleted.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from typing import Sequence

_CHUNK = 1 << 20
# Seconds to wait for a server to answer (or send the next bytes) before giving up on it.
DOWNLOAD_TIMEOUT = 30.0


def calculate_md5(path: str, chunk_size: int = _CHUNK) -> str:
    """The md5 hex digest of the file at ``path``."""
    # usedforsecurity=False: md5 is an integrity check here, and FIPS builds refuse it otherwise.
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            h.update(chunk)
    return h.hexdigest()


def check_integrity(path: str, md5: str | None = None) -> bool:
    """True if ``path`` is a file and, when ``md5`` is given, its md5 matches."""
    if not os.path.isfile(path):
        return False
    return md5 is None or calculate_md5(path) == md5


def file_status(path: str, md5: str) -> str:
    """``'ok'``, ``'missing'`` or ``'md5 mismatch (found ...)'`` for one expected file."""
    if not os.path.isfile(path):
        return "missing"
    found = calculate_md5(path)
    return "ok" if found == md5 else f"md5 mismatch (found {found})"


def download_url(url: str, path: str, md5: str, timeout: float = DOWNLOAD_TIMEOUT) -> None:
    """Downloads ``url`` to ``path``, checking the md5 before the file appears at ``path``.

    Raises:
        OSError / urllib.error.URLError / http.client.HTTPException: the transfer failed.
        RuntimeError: the size or the md5 of what arrived is wrong.
    """
    # Imported here: urllib.request pulls in http, email and ssl (~40 ms), which
    # ``import glasstorch`` should not pay for when nothing is downloaded.
    import urllib.request

    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, part = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".part", dir=folder)
    try:
        h = hashlib.md5(usedforsecurity=False)
        received = 0
        request = urllib.request.Request(url, headers={"User-Agent": "glasstorch"})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                h.update(chunk)
                received += len(chunk)
        # http.client already raises IncompleteRead on a short body; this also covers
        # responses that are cut short in ways it does not notice.
        if length is not None and length.isdigit() and received != int(length):
            raise RuntimeError(f"incomplete download: received {received} of {length} bytes")
        got = h.hexdigest()
        if got != md5:
            raise RuntimeError(f"md5 mismatch: downloaded {received} bytes with md5 {got}, expected {md5}")
        os.replace(part, path)
    except BaseException:
        try:
            os.remove(part)
        except FileNotFoundError:
            pass
        raise


def _describe(error: BaseException) -> str:
    text = str(error) or repr(error)
    return f"{type(error).__name__}: {text}"


def _unreachable(error: BaseException) -> bool:
    """True for errors that mean the host cannot be reached at all (offline, refused, no DNS).

    An HTTP error (404, 403...) or a bad checksum says nothing about the mirror's
    other files, so only these make us skip the mirror for the files that follow.
    """
    import urllib.error

    if isinstance(error, urllib.error.HTTPError):
        return False
    if isinstance(error, urllib.error.URLError):
        return isinstance(error.reason, OSError)
    return isinstance(error, (ConnectionError, TimeoutError))


def fetch(folder: str, resources: Sequence[Sequence[str]], mirrors: Sequence[str], download: bool,
          name: str, manual_hint: str = "") -> None:
    """Makes sure every ``(filename, md5)`` of ``resources`` is in ``folder`` with the right md5.

    Files already there and verified are kept. With ``download=True`` each missing
    (or corrupted) file is fetched from ``mirror + filename``, trying the mirrors in
    order. Whatever cannot be had ends in ONE RuntimeError that lists every URL
    tried with its error, the expected files with their md5, and the exact paths
    where the files can be put by hand.

    Args:
        folder: the directory the files belong in.
        resources: ``(filename, md5)`` pairs.
        mirrors: base URLs, each ending with ``/``.
        download: whether to download what is missing.
        name: the dataset's name, for messages.
        manual_hint: an extra line for the error message (another way to provide the files).
    """
    folder = os.path.abspath(folder)
    status = {filename: file_status(os.path.join(folder, filename), md5) for filename, md5 in resources}
    todo = [(f, md5) for f, md5 in resources if status[f] != "ok"]
    if not todo:
        return

    attempts: list[str] = []
    if download:
        dead: dict[str, str] = {}  # mirror -> the error that showed it unreachable
        for filename, md5 in todo:
            for mirror in mirrors:
                url = f"{mirror}{filename}"
                if mirror in dead:
                    attempts.append(f"  {url}\n      not tried: {mirror} was unreachable ({dead[mirror]})")
                    continue
                print(f"Downloading {url} to {os.path.join(folder, filename)}", file=sys.stderr)
                try:
                    download_url(url, os.path.join(folder, filename), md5)
                except Exception as error:  # noqa: BLE001 - every failure is reported below
                    attempts.append(f"  {url}\n      failed: {_describe(error)}")
                    if _unreachable(error):
                        dead[mirror] = _describe(error)
                    continue
                status[filename] = "ok"
                break
        todo = [(f, md5) for f, md5 in todo if status[f] != "ok"]
        if not todo:
            return

    if download:
        head = f"Could not download {name}: {len(todo)} of {len(resources)} files are still missing or corrupted."
    elif all(status[f] == "missing" for f, _ in todo):
        head = "Dataset not found. You can use download=True to download it."
    else:
        head = "Dataset not found or corrupted. You can use download=True to download it."
    lines = [head]
    if attempts:
        lines += ["URLs tried:"] + attempts
    lines.append(f"Files expected in {folder} (name, md5, state):")
    width = max(len(f) for f, _ in resources)
    lines += [f"  {f:<{width}}  {md5}  {status[f]}" for f, md5 in resources]
    lines.append("To install them by hand, download each file from one of "
                 + ("the URLs above" if attempts else "these mirrors: " + ", ".join(mirrors))
                 + " and put it at exactly:")
    lines += [f"  {os.path.join(folder, f)}" for f, _ in todo]
    lines.append("(the md5 of each file is checked when the dataset is loaded).")
    if manual_hint:
        lines.append(manual_hint)
    raise RuntimeError("\n".join(lines))
