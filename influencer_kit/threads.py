"""How many threads this process's native libraries may each use (ONNX Runtime's intra-op pool,
FFmpeg's decoding): `IK_THREADS`, which the executor sets for its workers so that workers x threads
= the cores it was given (`execution.task.worker_environment`); 1 where it is not set."""
from __future__ import annotations

import os

VARIABLE = "IK_THREADS"


def threads() -> int:
    """This process's share of threads, at least 1."""
    try:
        return max(1, int(os.environ.get(VARIABLE, "1")))
    except ValueError:
        return 1


def set_threads(count: int) -> None:
    """Set this process's (and its children's) share of threads."""
    os.environ[VARIABLE] = str(max(1, count))
