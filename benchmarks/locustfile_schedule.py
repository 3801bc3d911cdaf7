"""Locust users for ``benchmarks/schedule_load.py`` (run by it; not on its own).

``FIELDROUTE_LOAD_TOKENS`` names a JSON file of ``[engineer_id, token]`` pairs; each user
is one engineer's phone reading that engineer's published schedule back to back (closed
loop, gzip accepted, no ETag: every read is a full 200). With ``FIELDROUTE_LOAD_TARGET=health``
the users read ``/health`` instead: the server's ceiling on the same machine; with
``revalidate`` they send the schedule's ETag back (``If-None-Match``) and get 304s.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

from locust import FastHttpUser, constant, task

_PAIRS = json.loads(Path(os.environ["FIELDROUTE_LOAD_TOKENS"]).read_text())
_DAY = os.environ.get("FIELDROUTE_LOAD_DAY", "2026-11-27")
_TARGET = os.environ.get("FIELDROUTE_LOAD_TARGET", "schedule")
_NEXT = itertools.count()


class Phone(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        engineer_id, token = _PAIRS[next(_NEXT) % len(_PAIRS)]
        self.path = f"/engineers/{engineer_id}/schedule?date={_DAY}"
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}

        self.etag: str | None = None

    @task
    def read(self) -> None:
        if _TARGET == "health":
            self.client.get("/health", name="/health")
        elif _TARGET == "revalidate":  # a phone that keeps its copy: 304 while unchanged
            headers = {**self.headers, **({"If-None-Match": self.etag} if self.etag else {})}
            with self.client.get(
                self.path, headers=headers, name="schedule 304", catch_response=True
            ) as r:
                if r.status_code in (200, 304):
                    self.etag = r.headers.get("ETag", self.etag)
                    r.success()
        else:
            self.client.get(self.path, headers=self.headers, name="schedule")
