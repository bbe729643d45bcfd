"""The CPU-bound steps (reading a page or a PDF, preparing a paper for the checker, the
no-LLM extract) run in worker processes, one core each.

In a thread they would hold the interpreter's lock against the event loop, so every LLM
answer and every download would wait behind a 40-page PDF; a process leaves the loop free and
uses another core. With `workers = 0` they run in a thread instead (one core, no start-up).
Workers ignore Ctrl-C and SIGTERM (the run decides what to do with them) and leave when the
run's process is gone, even killed with -9."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, TypeVar

from dailypapers.core.errors import OverBudget, WorkerCrashed

T = TypeVar("T")
log = logging.getLogger("dailypapers")


class Workers:
    """`seconds` and `memory` are each task's budget in a worker process: CPU seconds, and
    bytes of address space (0: no limit). A paper over it fails with OverBudget, so it falls
    back to its next source with the reason, and no worker is lost to a decompression bomb
    or a 1,200-page volume. A thread (`count` 0) has no budget."""

    def __init__(self, count: int, seconds: float = 0, memory: int = 0) -> None:
        self.seconds, self.memory = seconds, memory
        self.size = count  # as configured
        self.count = count  # in the pool that runs now
        self.pools = 0  # started so far: a session starts one for all its runs
        self._pool: ProcessPoolExecutor | None = None
        self._careful: asyncio.Lock | None = None  # once a worker has died

    def start(self, papers: int | None = None) -> None:
        """Start the processes now (they take ~0.5 s to import), while the run fetches: no
        more of them than there are `papers` to read. Called as a run starts: a session's
        pool started small for a run of one paper is started again at the size a bigger run
        wants (between runs it is idle)."""
        wanted = self.size if papers is None else min(self.size, papers)
        if self._pool is not None and wanted > self.count:
            self.close()
        self._start(wanted)

    def _start(self, count: int) -> None:
        if self._pool is not None:
            return
        self.count = count
        if self.count:
            self.pools += 1
            log.info("reading in %d worker processes", self.count)
            self._pool = ProcessPoolExecutor(
                self.count,
                mp_context=multiprocessing.get_context("spawn"),  # no fork of a threaded loop
                initializer=_worker_setup,
                initargs=(os.getpid(), self.memory),
            )
            for _ in range(self.count):
                self._pool.submit(os.getpid)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in a worker. A worker that dies (a crash inside libxml2 or PDFium on a
        hostile file) takes every task in flight with it, and nobody can tell which one did
        it: from then on tasks run one at a time in a new pool, so the task that kills its
        worker alone is the one that fails (`WorkerCrashed`), and the others are done again."""
        if not self.count:
            return await asyncio.to_thread(fn, *args)
        while True:
            careful = self._careful
            async with careful or contextlib.nullcontext():
                self._start(self.count or self.size)
                pool = self._pool
                assert pool is not None
                try:
                    loop = asyncio.get_running_loop()
                    return await loop.run_in_executor(pool, _within, self.seconds, fn, *args)
                except BrokenProcessPool:
                    self._replace(pool)
                    if careful is not None:  # it ran alone
                        raise WorkerCrashed(
                            "the process reading or checking this paper died on it "
                            "(a crash in a parser)"
                        ) from None

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        if self._pool is broken:  # the first task to see it starts a new pool
            log.warning("a worker process died; the next tasks run one at a time")
            broken.shutdown(wait=False, cancel_futures=True)
            self._pool = None
            self._careful = self._careful or asyncio.Lock()

    def close(self) -> None:
        """Cancel the queued tasks and wait for the pool to end, always: a pool still closing
        its pipe while the interpreter exits makes CPython 3.11 print a traceback (its exit
        hook writes to that pipe). On Ctrl-C the workers finish the task they hold (they
        ignore SIGINT): stopping one mid-answer would leave half a message in the pipe, which
        the pool would wait on forever."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    async def __aenter__(self) -> Workers:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _within(seconds: float, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` within `seconds` of this process's CPU time and its memory limit."""

    def over(signum: int, frame: object) -> None:
        raise OverBudget(f"reading took more than {seconds:g} s of CPU; not read further")

    if seconds:
        signal.signal(signal.SIGVTALRM, over)
        signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        return fn(*args)
    except MemoryError:
        raise OverBudget("reading needed more memory than one paper may; not read") from None
    finally:
        if seconds:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)


def _worker_setup(parent: int, memory: int = 0) -> None:
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # systemd stops the whole group: the run decides
    threading.Thread(target=_leave_with, args=(parent,), daemon=True).start()


def _leave_with(parent: int) -> None:
    """A worker whose run was killed is adopted by another process: it leaves then."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)
