"""A deliberately simple reference for business minutes: walk every UTC minute with zoneinfo.

It shares nothing with the dbt models: a minute is working when the wall clock of the
queue's schedule, read through `zoneinfo`, shows a weekday time inside one of the schedule's
hours and outside that date's holiday closures, on a local date the schedule is assigned to
the queue (or the default schedule where none is). Prefix sums over the minutes then answer
"business minutes between two instants" and "when is N business minutes after t".
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Schedule:
    schedule_id: str
    time_zone: str
    # weekday (1 = Monday) -> [(start minute, end minute)] on the local wall clock
    hours: dict[int, list[tuple[int, int]]]
    # local date -> [(closed from minute, closed until minute)]
    closures: dict[date, list[tuple[int, int]]] = field(default_factory=dict)
    is_default: bool = False

    def works_at(self, local: datetime) -> bool:
        minute = local.hour * 60 + local.minute
        open_now = any(start <= minute < end for start, end in self.hours.get(local.isoweekday(), []))
        closed_now = any(start <= minute < end for start, end in self.closures.get(local.date(), []))
        return open_now and not closed_now


@dataclass(frozen=True)
class Assignment:
    queue: str
    schedule_id: str
    valid_from: date | None
    valid_until: date | None

    def covers(self, local_date: date) -> bool:
        return (self.valid_from is None or local_date >= self.valid_from) and (
            self.valid_until is None or local_date < self.valid_until
        )


class QueueClock:
    """Working minutes of one queue over [start, end), one UTC minute at a time."""

    def __init__(self, queue: str, schedules: list[Schedule], assignments: list[Assignment],
                 start: datetime, end: datetime, first_local_date: date, last_local_date: date) -> None:
        self.start = start
        mine = [a for a in assignments if a.queue == queue]
        by_id = {s.schedule_id: s for s in schedules}
        # (schedule, the dates it applies on): assigned ones on their dates, the default elsewhere
        rules = [(by_id[a.schedule_id], a.covers) for a in mine]
        rules += [(s, lambda day: not any(a.covers(day) for a in mine)) for s in schedules if s.is_default]
        self.prefix = [0]
        minute = start
        while minute < end:
            working = False
            for schedule, applies_on in rules:
                local = minute.astimezone(ZoneInfo(schedule.time_zone))
                day = local.date()
                if first_local_date <= day <= last_local_date and applies_on(day) and schedule.works_at(local):
                    working = True
                    break
            self.prefix.append(self.prefix[-1] + (1 if working else 0))
            minute += timedelta(minutes=1)

    def reading(self, instant: datetime) -> float:
        """Working minutes from the clock's start to the instant (fractions inside a minute)."""
        offset = (instant - self.start).total_seconds() / 60
        whole = int(offset // 1)
        fraction = offset - whole
        working_this_minute = self.prefix[whole + 1] - self.prefix[whole]
        return self.prefix[whole] + working_this_minute * fraction

    def minutes_between(self, begin: datetime, end: datetime) -> float:
        return self.reading(end) - self.reading(begin)

    def instant_after(self, begin: datetime, business_minutes: float) -> datetime | None:
        """The earliest instant by which `business_minutes` have been worked since `begin`."""
        target = self.reading(begin) + business_minutes
        # the first minute whose end reaches the target; it is a working minute
        index = bisect.bisect_left(self.prefix, target)
        if index >= len(self.prefix):
            return None
        minute_index = index - 1
        fraction = target - self.prefix[minute_index]
        return self.start + timedelta(minutes=minute_index + fraction)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
