"""When a failed delivery is tried again: a schedule of waits after each failed attempt, with jitter.

The default follows Standard Webhooks' suggestion (and Svix's practice): 5 s, 5 min, 30 min, 2 h,
5 h, 10 h, 10 h: eight attempts over about 27 hours, then the message is `failed`. Each wait is
moved by up to ±20 % at random, so the messages of an outage do not all come back at once.
"""

from __future__ import annotations

import random
import re

DEFAULT_SCHEDULE = "5s,5m,30m,2h,5h,10h,10h"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_STEP = re.compile(r"^(\d{1,7})([smhd])$")
JITTER = 0.2


def parse_schedule(text: str) -> tuple[float, ...]:
    """ "5s,5m,2h" → (5, 300, 7200) seconds; ValueError names the step that is not a duration."""
    waits = []
    for step in text.split(","):
        found = _STEP.match(step.strip())
        if found is None:
            raise ValueError(f"{step.strip()!r} is not a duration such as 30s, 5m, 2h or 1d")
        waits.append(float(int(found.group(1)) * _UNITS[found.group(2)]))
    if not waits:
        raise ValueError("the schedule needs at least one wait, e.g. 5s,5m,30m")
    return tuple(waits)


def next_wait(schedule: tuple[float, ...], attempts: int, rng: random.Random | None = None) -> float | None:
    """Seconds until the next attempt after `attempts` failed ones, or None: give up."""
    if attempts > len(schedule):
        return None
    wait = schedule[attempts - 1]
    return max(0.0, wait * (1 + (rng or random).uniform(-JITTER, JITTER)))
