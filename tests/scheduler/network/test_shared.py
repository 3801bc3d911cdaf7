"""``shared_network``: a process loads each road network once, however many threads ask for
it at the same moment; a failed load is not remembered."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from scheduler.errors import NetworkError
from scheduler.network import shared
from scheduler.network.shared import shared_network

WAIT_S = 30.0  # generous: only a broken lock would make a thread wait this long


@pytest.fixture
def empty_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared, "_loaded", {})
    monkeypatch.setattr(shared, "_loading", {})


def test_threads_asking_at_once_share_one_load(
    empty_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight threads ask for the same source; the load holds until all of them have asked,
    so the others are waiting for it: it still runs once, and all get the same network."""
    loads: list[str] = []
    asked = [0]
    everyone_asked = threading.Condition()
    network = object()

    def slow_load(source: str) -> Any:
        loads.append(source)
        with everyone_asked:
            assert everyone_asked.wait_for(lambda: asked[0] == 8, WAIT_S)
        return network

    monkeypatch.setattr(shared, "load_network", slow_load)
    got: list[object] = []

    def ask() -> None:
        with everyone_asked:
            asked[0] += 1
            everyone_asked.notify_all()
        got.append(shared_network("bundled"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_S)
    assert loads == ["bundled"]
    assert got == [network] * 8
    assert shared_network("bundled") is network and loads == ["bundled"]


def test_a_failed_load_is_tried_again_by_the_next_caller(
    empty_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[str] = []
    network = object()

    def flaky_load(source: str) -> Any:
        attempts.append(source)
        if len(attempts) == 1:
            raise NetworkError("cannot read it")
        return network

    monkeypatch.setattr(shared, "load_network", flaky_load)
    with pytest.raises(NetworkError):
        shared_network("a.osm.pbf")
    assert shared_network("a.osm.pbf") is network
    assert attempts == ["a.osm.pbf", "a.osm.pbf"]
