"""Failed sign-ins slowed down, per user name and per client address: after `FREE_FAILURES`
failures in a row, the next attempt must wait `2 ** (failures - FREE_FAILURES)` seconds after the
last one (1, 2, 4, 8 ... up to `MAX_WAIT_S`); an attempt sooner is answered 429 with Retry-After,
unchecked. A sign-in that succeeds clears its name and address. Counts live in the app's memory
and are forgotten `FORGET_S` after a key's last failure."""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

FREE_FAILURES = 3
MAX_WAIT_S = 300.0
FORGET_S = 3600.0


@dataclass
class _Failures:
    count: int
    last: float  # time.monotonic() of the last failure


class SignInThrottle:
    """The failure counts of every key (`user:NAME`, `address:HOST`) of one app."""

    def __init__(self) -> None:
        self._failures: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def wait_s(self, keys: list[str]) -> int:
        """Whole seconds before these keys may try again (0: now)."""
        now = time.monotonic()
        with self._lock:
            waits = [f.last + delay_s(f.count) - now for f in map(self._failures.get, keys) if f is not None]
        return max(0, math.ceil(max(waits, default=0.0)))

    def failed(self, keys: list[str]) -> None:
        now = time.monotonic()
        with self._lock:
            for key in [k for k, f in self._failures.items() if now - f.last > FORGET_S]:
                del self._failures[key]
            for key in keys:
                failures = self._failures.setdefault(key, _Failures(0, now))
                failures.count, failures.last = failures.count + 1, now

    def succeeded(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


def delay_s(failures: int) -> float:
    """How long after the last of `failures` failures in a row the next attempt must wait."""
    return 0.0 if failures < FREE_FAILURES else min(MAX_WAIT_S, 2.0 ** (failures - FREE_FAILURES))
