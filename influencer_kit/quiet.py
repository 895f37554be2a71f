"""Keeping library chatter (TensorFlow, absl, FFmpeg, MLflow) out of the user's terminal.

Two kinds of chatter need two remedies. Python loggers and warnings are turned down by
`quiet_libraries()`. Native libraries write straight to file descriptor 2: FFmpeg obeys
`OPENCV_FFMPEG_LOGLEVEL`, but TensorFlow 2.21's absl logging ignores `TF_CPP_MIN_LOG_LEVEL` at
import time ("All log messages before absl::InitializeLog() ...", "cudart_stub.cc ... Could not find
cuda drivers"), so `native_chatter_filtered()` catches descriptor 2 while models load and passes on
every line except absl's info and warning lines.
"""
from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

QUIET_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",  # also drops the "oneDNN custom operations are on" line
    "OPENCV_FFMPEG_LOGLEVEL": "-8",  # AV_LOG_QUIET: no "moov atom not found"; decode errors reach the table
}
# absl's preamble and its info (I) and warning (W) lines, in absl's format
# ("I0000 00:00:1795594891.835550   11654 cudart_stub.cc:31] ...") and TensorFlow's older one
# ("2025-09-17 14:44:05.157831: I external/.../cudart_stub.cc:32] ...").
NATIVE_CHATTER = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\)"
    r"|[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] "
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IW] \S+:\d+\] "
)


def quiet_libraries() -> None:
    """Turn library logging down to errors; call before TensorFlow or a video is first opened."""
    for name, value in QUIET_ENV.items():
        os.environ.setdefault(name, value)
    for name in ("tensorflow", "absl", "h5py", "keras", "mlflow", "alembic", "urllib3"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)


def drop_chatter(text: str) -> str:
    """`text` without absl's info and warning lines; errors and everything else are kept."""
    return "".join(line for line in text.splitlines(keepends=True) if not NATIVE_CHATTER.match(line))


@contextmanager
def native_chatter_filtered() -> Iterator[None]:
    """Hold back what anything in this process writes to descriptor 2 inside the block, then write
    it out again without absl's info and warning lines (errors and tracebacks still show)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            sys.stderr.write(drop_chatter(held.read().decode(errors="replace")))
            sys.stderr.flush()
