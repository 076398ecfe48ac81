"""The sizes the generator writes and the calendar period they cover.

Every entity builder works on the same local calendar days (their weekday and month), the
same export moment and the same in-memory column layout, so they live here, apart from
what is drawn for each entity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

Columns = dict[str, np.ndarray]

PERIOD_START = date(2026, 1, 1)
SIZES: dict[str, dict[str, int]] = {
    # XS: the benchmark's own test, which checks that every phase runs and reconciles, not how fast.
    "XS": {"customers": 400, "contacts": 3_000, "responses": 1_000, "months": 3},
    "sample": {"customers": 1_500, "contacts": 12_000, "responses": 4_000, "months": 6},
    "S": {"customers": 12_500, "contacts": 100_000, "responses": 20_000, "months": 12},
    "M": {"customers": 125_000, "contacts": 1_000_000, "responses": 200_000, "months": 12},
    "L": {"customers": 1_250_000, "contacts": 10_000_000, "responses": 2_000_000, "months": 12},
}

DAY = 86_400


@dataclass(frozen=True)
class _Period:
    """The generated period: local calendar days, their weekday and month index."""

    start: date
    months: int

    @property
    def end(self) -> date:
        """Last day, inclusive."""
        year, month = divmod(self.start.month - 1 + self.months, 12)
        return date(self.start.year + year, month + 1, 1) - timedelta(days=1)

    @property
    def n_days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days + 1

    @property
    def start_s(self) -> float:
        """The first day's midnight as naive epoch seconds (local wall clock, read as if UTC)."""
        return float((np.datetime64(self.start, "s") - np.datetime64(0, "s")).astype(np.int64))

    @property
    def export_s(self) -> float:
        """Export time in UTC epoch seconds: midnight UTC after the last day; later events did not happen."""
        return self.start_s + self.n_days * DAY

    @property
    def cutoff_s(self) -> float:
        """Last moment that is inside the period in every zone (Moscow, UTC+3, ends first)."""
        return self.export_s - 4 * 3600

    @property
    def days(self) -> np.ndarray:
        """The days as datetime64[D]."""
        return np.arange(np.datetime64(self.start, "D"), np.datetime64(self.end, "D") + 1)

    @property
    def dow(self) -> np.ndarray:
        """Weekday of each day, Monday = 0."""
        return (self.days.astype(np.int64) + 3) % 7

    @property
    def month_of_day(self) -> np.ndarray:
        """Month index (0 = first month) of each day."""
        return (self.days.astype("datetime64[M]") - np.datetime64(self.start, "M")).astype(np.int64)

    @property
    def month_labels(self) -> list[str]:
        """YYYY-MM of each month."""
        first = np.datetime64(self.start, "M")
        return [str(first + i) for i in range(self.months)]
