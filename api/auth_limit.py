"""Rate limiting of failed authentication: a client address that keeps presenting unknown
tokens is refused with 429 for a while, so that tokens cannot be guessed at speed."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class FailedAuthLimiter:
    """At most ``max_failures`` failed authentications per client in ``window_s`` seconds.

    Kept in memory per server process; the ``max_clients`` most recently failing clients
    are remembered (older ones are forgotten first).
    """

    def __init__(
        self,
        max_failures: int,
        window_s: float,
        *,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures, self.window_s, self.max_clients = max_failures, window_s, max_clients
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float] | None:
        times = self._failures.get(client)
        if times is None:
            return None
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[client]
            return None
        return times

    def retry_after(self, client: str) -> int | None:
        """Seconds until ``client`` may try again; None when it may now."""
        with self._lock:
            now = self._clock()
            times = self._recent(client, now)
            if times is None or len(times) < self.max_failures:
                return None
            return max(1, math.ceil(times[0] + self.window_s - now))

    def failed(self, client: str) -> None:
        """Count a failed authentication of ``client``."""
        with self._lock:
            now = self._clock()
            times = self._recent(client, now) or deque()
            times.append(now)
            self._failures[client] = times
            self._failures.move_to_end(client)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)
