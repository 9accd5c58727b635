"""Timestamps as the AWS caches write them, without importing datetime or re.

Times are plain epoch seconds (float) inside shellsso: cheap to compare on the
hot path and free of naive/aware mix-ups. Reading is tolerant (`Z`, `UTC`,
`+00:00`, fractions, a space instead of `T`); writing is the AWS CLI v2 form
`YYYY-MM-DDTHH:MM:SSZ`.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _zone_offset(zone: str) -> Optional[int]:
    """Seconds east of UTC for `Z`, `UTC`, `GMT`, `+HH`, `+HHMM`, `+HH:MM`; None if not one."""
    if zone in ("", "Z", "z", "UTC", "GMT"):
        return 0
    sign, digits = zone[0], zone[1:].replace(":", "")
    if sign not in "+-" or not (digits.isascii() and digits.isdigit()) or len(digits) not in (2, 4):
        return None
    offset = int(digits[:2]) * 3600 + (int(digits[2:]) * 60 if len(digits) == 4 else 0)
    return offset if sign == "+" else -offset


def parse_timestamp(text: object) -> Optional[float]:
    """Epoch seconds of an ISO-8601 timestamp, or None when it is not one.

    A timestamp without zone is taken as UTC, as every AWS cache means it.
    """
    if not isinstance(text, str):
        return None
    text = text.strip()
    if len(text) < 19 or text[4] != "-" or text[7] != "-" or text[10] not in "T " \
            or text[13] != ":" or text[16] != ":":
        return None
    fields = (text[0:4], text[5:7], text[8:10], text[11:13], text[14:16], text[17:19])
    if not all(f.isdigit() and f.isascii() for f in fields):
        return None
    year, month, day, hour, minute, second = (int(f) for f in fields)
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61):
        return None
    rest = text[19:]
    fraction = 0.0
    if rest[:1] in (".", ","):
        digits = len(rest) - len(rest[1:].lstrip("0123456789")) - 1
        if digits < 1:
            return None
        fraction = float("0." + rest[1 : 1 + digits])
        rest = rest[1 + digits :]
    offset = _zone_offset(rest.strip())
    if offset is None:
        return None
    epoch = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    return float(epoch - offset) + fraction


def format_timestamp(epoch: float) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ`, the form the AWS CLI v2 writes in its caches."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def format_isoformat(epoch: float) -> str:
    """`YYYY-MM-DDTHH:MM:SS+00:00`, as `datetime.isoformat()` prints an aware UTC time."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(epoch))


def describe_remaining(seconds: float) -> str:
    """A short human duration: `3h 12m`, `14m`, `1m`.

    Whole minutes, rounded up as the prompt rounds them (90 s left is `2m`
    in both), so that the two never disagree.
    """
    minutes = max(-(-int(seconds) // 60), 0)
    hours, minutes = divmod(minutes, 60)
    if hours >= 24:
        days, hours = divmod(hours, 24)
        return f"{days}d {hours}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def until_text(epoch: float, now: Optional[float] = None) -> str:
    """`14:32`, or `14:32 on 2026-11-27` when not today (local time)."""
    current = time.time() if now is None else now
    when = time.localtime(epoch)
    text = time.strftime("%H:%M", when)
    if time.strftime("%Y-%m-%d", when) != time.strftime("%Y-%m-%d", time.localtime(current)):
        text += time.strftime(" on %Y-%m-%d", when)
    return text
