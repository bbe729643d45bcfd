"""Days, ISO weeks and months as the user writes them, checked before any request. No
imports beyond the standard library, so that commands that only read the archive start at
once."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Literal

from dailypapers.core.errors import InvalidDate

Period = Literal["day", "week", "month"]


def parse_period(value: str, kind: Period = "day") -> str:
    """Validate a day (YYYY-MM-DD), week (YYYY-Www) or month (YYYY-MM) before any request."""
    try:
        if kind == "day":
            return date.fromisoformat(_match(value, r"\d{4}-\d{2}-\d{2}")).isoformat()
        if kind == "week":
            year, week = _match(value, r"(\d{4})-W(\d{2})", groups=True)
            date.fromisocalendar(int(year), int(week), 1)
            return f"{year}-W{week}"
        year, month = _match(value, r"(\d{4})-(\d{2})", groups=True)
        date(int(year), int(month), 1)
        return f"{year}-{month}"
    except ValueError:
        example = {"day": "2026-02-11", "week": "2026-W07", "month": "2026-02"}[kind]
        raise InvalidDate(f"invalid {kind} {value!r}: expected a {kind} like {example}") from None


def _match(value: str, pattern: str, groups: bool = False) -> Any:
    m = re.fullmatch(pattern, value.strip())
    if not m:
        raise ValueError(value)
    return m.groups() if groups else m.group(0)


def may_grow(period: str, kind: Period, today: date) -> bool:
    """Whether Hugging Face may still add papers to the period: it ends yesterday or later
    (in UTC, which can be a day ahead of the local date)."""
    if kind == "day":
        last = date.fromisoformat(period)
    elif kind == "week":
        year, week = map(int, period.split("-W"))
        last = date.fromisocalendar(year, week, 7)
    else:
        year, month = map(int, period.split("-"))
        last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last >= today - timedelta(days=1)


def first_day(period: str, kind: str) -> date:
    """The period's first day: what orders days, weeks and months together."""
    if kind == "week":
        year, week = map(int, period.split("-W"))
        return date.fromisocalendar(year, week, 1)
    if kind == "month":
        year, month = map(int, period.split("-"))
        return date(year, month, 1)
    return date.fromisoformat(period)
