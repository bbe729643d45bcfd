"""Worker processes: a crash in one costs the task that caused it, nothing else."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time

import pytest

from dailypapers.core.errors import ConversionFailed, WorkerCrashed
from dailypapers.core.workers import Workers


def fails(message: str) -> None:
    raise ConversionFailed(message, url="https://arxiv.org/html/2501.11120", paper_id="2501.11120")


def test_a_worker_that_dies_costs_only_its_own_task() -> None:
    async def go() -> tuple[list, object, object]:
        async with Workers(1) as workers:
            first = await asyncio.gather(
                workers.run(pow, 2, 10),
                workers.run(os._exit, 3),  # as a crash in libxml2 or PDFium would end it
                workers.run(pow, 3, 3),
                workers.run(divmod, 7, 2),
                return_exceptions=True,
            )
            after = await workers.run(pow, 5, 2)
            try:
                await workers.run(fails, "mostly conversion errors")
            except ConversionFailed as e:  # an error raised in a worker arrives whole
                error = e
        return first, after, error

    first, after, error = asyncio.run(go())
    assert first[0] == 1024 and first[2] == 27 and first[3] == (3, 1)
    assert isinstance(first[1], WorkerCrashed)
    assert after == 25
    assert str(error) == "mostly conversion errors" and error.paper_id == "2501.11120"
    assert error.url == "https://arxiv.org/html/2501.11120"


def test_an_interrupted_run_leaves_no_worker_and_runs_no_queued_task() -> None:
    """Ctrl-C or an error: the task a worker holds is finished, the queued ones are not run,
    and no worker (nor a thread of the pool) outlives the run."""

    async def go() -> None:
        async with Workers(1) as workers:
            await workers.run(pow, 2, 2)
            assert multiprocessing.active_children()
            for _ in range(6):
                asyncio.ensure_future(workers.run(time.sleep, 2))
            await asyncio.sleep(0.5)
            raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(go())
    assert time.monotonic() - started < 9  # 12 s if the queued tasks ran
    assert not multiprocessing.active_children()


def spin(seconds: float) -> int:
    end, n = time.process_time() + seconds, 0
    while time.process_time() < end:
        n += 1
    return n


def swallow(megabytes: int) -> int:
    return len(bytearray(megabytes << 20))


def test_a_task_over_its_budget_fails_alone_and_the_worker_lives_on() -> None:
    """A 1,200-page volume or a decompression bomb costs its own paper, not the run."""
    from dailypapers.core.errors import OverBudget

    async def go() -> list:
        async with Workers(1, seconds=0.5, memory=1024 << 20) as workers:
            return await asyncio.gather(
                workers.run(spin, 3.0),
                workers.run(swallow, 1500),
                workers.run(swallow, 10),
                return_exceptions=True,
            )

    slow, greedy, fine = asyncio.run(go())
    assert isinstance(slow, OverBudget) and "more than 0.5 s of CPU" in str(slow)
    assert isinstance(greedy, OverBudget) and "more memory" in str(greedy)
    assert fine == 10 << 20
