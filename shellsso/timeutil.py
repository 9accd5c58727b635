"""Timestamps as the AWS caches write them, without importing datetime.

Times are plain epoch seconds (float) inside shellsso: cheap to compare on the
hot path and free of naive/aware mix-ups. Reading is tolerant (`Z`, `UTC`,
`+00:00`, fractions, a space instead of `T`); writing is the AWS CLI v2 form
`YYYY-MM-DDTHH:MM:SSZ`.
"""

from __future__ import annotations

import re
import time

_ISO = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"\s*(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?\s*$"
)


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def parse_timestamp(text: object) -> float | None:
    """Epoch seconds of an ISO-8601 timestamp, or None when it is not one.

    A timestamp without zone is taken as UTC, as every AWS cache means it.
    """
    if not isinstance(text, str):
        return None
    match = _ISO.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61):
        return None
    epoch = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    fraction = match.group(7)
    zone = match.group(8)
    value = float(epoch) + (float("0." + fraction) if fraction else 0.0)
    if zone and zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        offset = int(digits[:2]) * 3600 + (int(digits[2:4]) * 60 if len(digits) >= 4 else 0)
        value -= offset if zone[0] == "+" else -offset
    return value


def format_timestamp(epoch: float) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ`, the form the AWS CLI v2 writes in its caches."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def format_isoformat(epoch: float) -> str:
    """`YYYY-MM-DDTHH:MM:SS+00:00`, as `datetime.isoformat()` prints an aware UTC time."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(epoch))


def describe_remaining(seconds: float) -> str:
    """A short human duration: `3h 12m`, `14m`, `40s`."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{max(seconds, 0)}s"
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours >= 24:
        days, hours = divmod(hours, 24)
        return f"{days}d {hours}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"
