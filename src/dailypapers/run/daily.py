"""The daily job: the right day, its report, and its delivery, safe to run twice or at once.

Hugging Face dates its daily list in New York and opens the next date in the evening there,
after arXiv's announcement; papers keep being added to a date for a while. So the day is not
worked out from the clock: it is the newest date the listing has, once its list has settled
(the same papers as a look at least `quiet` minutes earlier, the archive remembering the
last look). Until then the job waits and looks again, up to `wait` minutes, and otherwise
says the day is still growing (exit 7), never a half day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from dailypapers.core.errors import DeliveryFailed, NothingToSend
from dailypapers.core.models import Paper
from dailypapers.deliver.send import Outcome
from dailypapers.report.models import Report
from dailypapers.run.events import Stats
from dailypapers.run.period import Options
from dailypapers.run.session import Session
from dailypapers.sources import hf


@dataclass
class Daily:
    label: str
    report: Report
    stats: Stats
    outcomes: list[Outcome]
    failed: list[DeliveryFailed]


async def settled_day(
    session: Session, today: date, quiet: float, wait: float
) -> tuple[str, list[Paper]]:
    """The newest listed day, once its list stops growing (minutes `quiet` and `wait`)."""
    deadline = session.clock.now() + wait * 60
    notes: list[str] = []
    last: tuple[str, list[str]] | None = None
    while True:
        label, papers = await hf.latest_day(session.net, today, notes=notes)
        ids = sorted(p.id for p in papers)  # its order moves with the upvotes; its papers settle
        if last is None:  # the first look: the archive may remember an earlier one
            looked = session.store.listing_look(label)
            if looked is not None and sorted(looked[0]) == ids:
                if looked[1] >= quiet:
                    return label, papers
            else:  # a change: its time is now (unchanged, the earlier look's time stands)
                session.store.save_listing(label, "day", papers)
        elif last == (label, ids):
            return label, papers
        else:
            session.store.save_listing(label, "day", papers)
        last = (label, ids)
        if session.clock.now() + quiet * 60 > deadline:
            raise NothingToSend(
                f"the list of {label} is still growing ({len(ids)} papers now): run again in "
                f"{quiet:.0f} minutes, or give run-daily a longer --wait"
            )
        session.observers.status(f"{label}: {len(ids)} papers; looking again in {quiet:.0f} min")
        await session.clock.sleep(quiet * 60)


async def daily(
    session: Session,
    channels: list[str],
    *,
    today: date | None = None,
    quiet: float = 10.0,
    wait: float = 60.0,
) -> Daily:
    """The settled day, reported and delivered to `channels`."""
    today = today or datetime.now(UTC).date()
    label, papers = await settled_day(session, today, quiet, wait)
    if not papers:
        raise NothingToSend(f"no papers were listed on {label}")
    stats = Stats()
    report, _ = await session.period(Options(period=label), stats=stats)
    outcomes, failed = await session.deliver_all(report, channels)
    return Daily(label, report, stats, outcomes, failed)
