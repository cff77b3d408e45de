"""Opening hours and "working time" arithmetic, in a location's own time zone.

Promises (pickup ready, dispatch) are counted in *opening* time: two hours of
preparation asked at 19:30 in a store that closes at 20:00 and opens at 09:00
come due at 10:30 the next day, not at 21:30.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from domain.errors import DomainError, ErrorCode

# How far ahead a promise may look for opening time before the location is
# considered unable to promise anything (e.g. closed every day).
HORIZON_DAYS = 14

Interval = tuple[time, time]


@dataclass(frozen=True)
class OpeningHours:
    """Weekly opening hours: `weekly[0]` is Monday; `None` means closed that day.

    Each open day is one interval `(opens, closes)` in local wall-clock time of
    `tz`, with `opens < closes` (no overnight intervals); `time.max` as `closes`
    means "until midnight".
    """

    weekly: tuple[Interval | None, ...]
    tz: tzinfo = UTC

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise DomainError(ErrorCode.INVALID, "Opening hours need exactly 7 days (Mon-Sun).")
        for day in self.weekly:
            if day is not None and not day[0] < day[1]:
                raise DomainError(ErrorCode.INVALID, "A day's opening must be before its closing.")

    @classmethod
    def always(cls, tz: tzinfo = UTC) -> OpeningHours:
        return cls(((time(0, 0), time.max),) * 7, tz)

    def interval_on(self, day: date) -> tuple[datetime, datetime] | None:
        """The opening interval of a local calendar day, as UTC instants."""
        hours = self.weekly[day.weekday()]
        if hours is None:
            return None
        opens = datetime.combine(day, hours[0], tzinfo=self.tz).astimezone(UTC)
        if hours[1] == time.max:  # "until midnight": the next day's 00:00, not 1 us before
            closes = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
        else:
            closes = datetime.combine(day, hours[1], tzinfo=self.tz)
        closes = closes.astimezone(UTC)
        return opens, closes

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    def local_time(self, at: datetime) -> time:
        return at.astimezone(self.tz).time()

    def is_open(self, at: datetime) -> bool:
        interval = self.interval_on(self.local_date(at))
        return interval is not None and interval[0] <= at < interval[1]

    def closes_on(self, at: datetime) -> datetime | None:
        """When the location closes on the local day of `at`, if it opens that day."""
        interval = self.interval_on(self.local_date(at))
        return None if interval is None else interval[1]


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise DomainError(ErrorCode.INVALID, "Times must be timezone-aware.")


def add_opening_time(
    hours: OpeningHours | None, start: datetime, duration: timedelta
) -> datetime | None:
    """The instant when `duration` of opening time has elapsed after `start`.

    `None` hours means always open. Returns `None` when the location does not
    open for long enough within `HORIZON_DAYS`.
    """
    _require_aware(start)
    start = start.astimezone(UTC)
    if hours is None:
        return start + duration
    remaining = duration
    first = hours.local_date(start)
    for offset in range(HORIZON_DAYS + 1):
        interval = hours.interval_on(first + timedelta(days=offset))
        if interval is None:
            continue
        begin = max(interval[0], start)
        if begin >= interval[1]:
            continue
        available = interval[1] - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    return None


def close_of_business_after(
    hours: OpeningHours | None, start: datetime, days: int
) -> datetime | None:
    """Closing time of the first open day at least `days` local days after `start`.

    Used for pickup deadlines: a parcel held "3 days" may be collected until
    the store closes on the third day (or the next day it opens).
    """
    _require_aware(start)
    start = start.astimezone(UTC)
    if hours is None:
        return start + timedelta(days=days)
    first = hours.local_date(start) + timedelta(days=days)
    for offset in range(HORIZON_DAYS + 1):
        interval = hours.interval_on(first + timedelta(days=offset))
        if interval is not None:
            return interval[1]
    return None
