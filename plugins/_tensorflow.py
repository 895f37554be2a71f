"""Quiet, single-threaded-per-worker TensorFlow start-up shared by the TensorFlow-based plugins."""
from __future__ import annotations

import logging
import os


def quiet_tensorflow() -> None:
    """Silence TensorFlow/absl chatter; call before TensorFlow is imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")
    for name in ("tensorflow", "absl", "h5py", "keras"):
        logging.getLogger(name).setLevel(logging.ERROR)
