"""Road networks loaded once per process and shared by every thread that asks for them.

A network takes seconds and hundreds of megabytes to load, and a server's job threads (or a
simulation's replications in one worker process) often want the same one at the same time:
:func:`shared_network` loads each source once, the others asking wait for that load.
"""

from __future__ import annotations

import threading

from scheduler.network.graph import Network
from scheduler.network.loader import load_network

__all__ = ["shared_network"]

_lock = threading.Lock()  # guards the two dicts below, never held while loading
_loaded: dict[str, Network] = {}
_loading: dict[str, threading.Lock] = {}  # one per source being loaded


def shared_network(source: str) -> Network:
    """The road network ``source`` names (see :func:`~scheduler.network.load_network`),
    loaded at most once in this process; threads asking for it meanwhile wait for that load.

    A load that fails raises (``NetworkError``) in the thread that tried it; the next caller
    tries again.
    """
    with _lock:
        network = _loaded.get(source)
        if network is not None:
            return network
        loading = _loading.setdefault(source, threading.Lock())
    with loading:
        with _lock:
            network = _loaded.get(source)
        if network is None:
            network = load_network(source)
            with _lock:
                _loaded[source] = network
    return network
