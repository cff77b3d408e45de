"""Opening hours as stored on a location ("Mo-Sa 09:00-20:00, Su 11:00-18:00") -> OpeningHours.

Locations keep their hours as the display text staff typed (migration 0002);
routing needs them as intervals. The grammar is the common subset of the
OpenStreetMap `opening_hours` syntax: comma- or semicolon-separated groups of
`<days> <HH:MM>-<HH:MM>`, where `<days>` is one day (`Mo`) or a range
(`Mo-Fr`, wrapping allowed: `Sa-Mo`), and `24:00` means midnight. Days not
named are closed. A later group overrides an earlier one for the same day.
"""

from __future__ import annotations

import re
from datetime import time, tzinfo

from domain.order.hours import Interval, OpeningHours

DAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
_GROUP = re.compile(
    r"^(?P<first>[a-z]{2})(?:\s*-\s*(?P<last>[a-z]{2}))?\s+"
    r"(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})$"
)


def _clock(text: str) -> time:
    hour, minute = (int(part) for part in text.split(":"))
    if (hour, minute) == (24, 0):
        return time.max
    return time(hour, minute)  # out of range raises ValueError


def parse_opening_hours(text: str, tz: tzinfo) -> OpeningHours | None:
    """The weekly hours of `text`, or None when the text is empty or not understood.

    None means "always open" to routing: an unreadable text must not make a
    location unable to promise anything (its staff sees the text as typed)."""
    groups = [g.strip().lower() for g in re.split(r"[,;]", text) if g.strip()]
    if not groups:
        return None
    weekly: list[Interval | None] = [None] * 7
    try:
        for group in groups:
            match = _GROUP.match(group)
            if match is None or match["first"] not in DAYS:
                return None
            first = DAYS.index(match["first"])
            last = first if match["last"] is None else DAYS.index(match["last"])
            opens, closes = _clock(match["opens"]), _clock(match["closes"])
            if not opens < closes:
                return None
            day = first
            while True:
                weekly[day] = (opens, closes)
                if day == last:
                    break
                day = (day + 1) % 7
    except ValueError:  # unknown day in a range, or an impossible clock time
        return None
    return OpeningHours(tuple(weekly), tz)
