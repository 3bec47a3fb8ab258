"""Scheduled classroom captures.

Capture agents in each classroom poll the scheduler for the recordings they
should make.  Schedules come from the registrar's room feed, one row per
course meeting pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

WEEKDAYS = {"M": 0, "T": 1, "W": 2, "R": 3, "F": 4, "S": 5, "U": 6}

# Agents start a little early and stop a little late so that instructors who
# begin before the bell, or run over, are not cut off.
PRE_ROLL = timedelta(minutes=2)
POST_ROLL = timedelta(minutes=5)


@dataclass(frozen=True)
class Meeting:
    course_id: str
    room: str
    days: str  # registrar notation, e.g. "MWF" or "TR"
    start: time
    end: time
    first_day: date
    last_day: date


@dataclass(frozen=True)
class Capture:
    course_id: str
    room: str
    begins: datetime
    ends: datetime

    @property
    def duration(self):
        return self.ends - self.begins


def parse_meeting(row):
    return Meeting(
        course_id=row["course"],
        room=row["room"],
        days=row["days"].upper(),
        start=time.fromisoformat(row["start"]),
        end=time.fromisoformat(row["end"]),
        first_day=date.fromisoformat(row["first_day"]),
        last_day=date.fromisoformat(row["last_day"]),
    )


def occurrences(meeting, holidays=frozenset()):
    weekdays = {WEEKDAYS[d] for d in meeting.days}
    day = meeting.first_day
    while day <= meeting.last_day:
        if day.weekday() in weekdays and day not in holidays:
            yield Capture(
                meeting.course_id,
                meeting.room,
                datetime.combine(day, meeting.start) - PRE_ROLL,
                datetime.combine(day, meeting.end) + POST_ROLL,
            )
        day += timedelta(days=1)


def captures_for_room(meetings, room, start, days=7, holidays=frozenset()):
    window_end = start + timedelta(days=days)
    result = []
    for meeting in meetings:
        if meeting.room != room:
            continue
        result.extend(c for c in occurrences(meeting, holidays) if start <= c.begins < window_end)
    return sorted(result, key=lambda c: c.begins)


def next_capture(meetings, room, now=None):
    now = now or datetime.now()
    upcoming = captures_for_room(meetings, room, now, days=14)
    return upcoming[0] if upcoming else None


def agent_payload(capture):
    return {
        "course": capture.course_id,
        "room": capture.room,
        "start": capture.begins.isoformat(),
        "stop": capture.ends.isoformat(),
        "duration_seconds": int(capture.duration.total_seconds()),
    }
