"""On-disk cache of node-to-node travel seconds, one file per graph fingerprint.

A file (``matrix-v2-<fingerprint>.npz``) holds the node ids it covers and their square
matrix of seconds (float64, ``inf`` where unreachable). A changed graph has another
fingerprint, so it never reads a stale file. Writes go to a temporary file renamed into
place, so readers never see half a file.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scheduler.errors import NetworkError
from scheduler.network.graph import FloatArray, IntArray

CACHE_ENV = "FIELDROUTE_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$FIELDROUTE_CACHE_DIR``, else ``$XDG_CACHE_HOME/fieldroute``, else
    ``~/.cache/fieldroute``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fieldroute"


@dataclass(frozen=True)
class MatrixCache:
    """Travel-time matrices on disk under ``directory``, keyed by graph fingerprint.

    ``max_nodes`` bounds one file (``max_nodes``\\ :sup:`2` x 8 bytes): when new nodes would
    take it past the bound, the file restarts with only the nodes of the current request.
    """

    directory: Path
    max_nodes: int = 6000

    def __post_init__(self) -> None:
        if self.max_nodes < 1:
            raise NetworkError(f"max_nodes = {self.max_nodes}: must be >= 1")

    def path_for(self, fingerprint: str) -> Path:
        # v2: seconds from exact microsecond sums (v1 files summed float seconds).
        return self.directory / f"matrix-v2-{fingerprint}.npz"

    def load(self, fingerprint: str) -> tuple[IntArray, FloatArray] | None:
        """The cached ``(node_ids, seconds)`` for a graph, or ``None`` (missing or unreadable)."""
        path = self.path_for(fingerprint)
        try:
            with np.load(path, allow_pickle=False) as data:
                node_ids = np.asarray(data["node_ids"], dtype=np.int64)
                seconds = np.asarray(data["seconds"], dtype=np.float64)
                stored = str(data["fingerprint"])
        except (OSError, KeyError, ValueError, zipfile.BadZipFile):
            return None
        n = len(node_ids)
        if stored != fingerprint or seconds.shape != (n, n):
            return None
        return node_ids, seconds

    def store(self, fingerprint: str, node_ids: IntArray, seconds: FloatArray) -> None:
        """Replace the graph's file with ``node_ids`` and their ``seconds`` matrix."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(
                    f,
                    node_ids=np.asarray(node_ids, dtype=np.int64),
                    seconds=np.asarray(seconds, dtype=np.float64),
                    fingerprint=np.asarray(fingerprint),
                )
            os.replace(tmp, self.path_for(fingerprint))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
