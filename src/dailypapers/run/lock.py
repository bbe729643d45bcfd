"""One run per period at a time: a second run of the same day waits for the first, then
finds its work done in the archive instead of doing it twice. An advisory lock file per
period (flock): the kernel releases it when a run dies, even by `kill -9`."""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from dailypapers.core.errors import NotWritable

POLL = 0.5  # seconds between tries while another run holds the lock


@asynccontextmanager
async def period_lock(
    home: Path,
    kind: str,
    period: str,
    waiting: Callable[[str], None],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> AsyncIterator[None]:
    """Hold the period's lock; `waiting` is told once if another run holds it; `sleep` is
    the session's clock."""
    path = home / "locks" / f"{kind}-{period}.lock"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise NotWritable(f"cannot write {path}: {e.strerror}: set DAILYPAPERS_HOME") from None
    try:
        told = False
        while not _try_lock(fd):
            if not told:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                waiting(f"another run of {period} is in progress (pid {holder}); waiting for it")
                told = True
            await sleep(POLL)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
