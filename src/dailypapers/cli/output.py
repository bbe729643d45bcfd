"""Writing a report where the user asked, without ever breaking what is there.

A regular file (or a new one) is replaced atomically: a temporary file beside it, then a
rename, with the permissions the user's umask gives (or the old file's). A symlink is
written through to its target. Devices and FIFOs (`/dev/null`, `/dev/stdout`, a pipe) are
written directly and never replaced; a directory is an error; a half-written temporary file
never stays behind."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from dailypapers.core.errors import NotWritable, UserError


def write_report(pieces: Iterable[str], path: Path) -> Path:
    """Write the report's pieces to `path` as they are rendered; returns the file actually
    written."""
    try:
        mode = path.stat().st_mode  # through a symlink
    except FileNotFoundError:
        mode = None
    except OSError as e:
        raise NotWritable(f"cannot write {path}: {e.strerror}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise UserError(f"{path} is a directory: give -o a file name, e.g. {path}/report.md")
    if mode is not None and not stat.S_ISREG(mode):
        with open(path, "w", encoding="utf-8") as f:  # a device or a FIFO: never replaced
            f.writelines(pieces)
        return path
    target = path.resolve() if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.writelines(pieces)
        os.chmod(tmp, stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
