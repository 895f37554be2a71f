"""Library chatter stays out of the terminal; errors do not."""
from __future__ import annotations

import subprocess
import sys

from influencer_kit.quiet import drop_chatter

LOAD_TENSORFLOW = """
import os, sys
from influencer_kit.quiet import native_chatter_filtered, quiet_libraries
quiet_libraries()
with native_chatter_filtered():
    import tensorflow
    os.write(2, b"E0000 00:00:1795594891.835550   11654 some_op.cc:12] a native error\\n")
    print("a python warning", file=sys.stderr)
"""


def test_tensorflow_loads_quietly_and_errors_still_show():
    done = subprocess.run([sys.executable, "-c", LOAD_TENSORFLOW], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "absl::InitializeLog" not in done.stderr and "cudart_stub" not in done.stderr, done.stderr
    assert "a native error" in done.stderr and "a python warning" in done.stderr


def test_only_absl_info_and_warning_lines_are_dropped():
    text = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1795594891.835550   11654 cudart_stub.cc:31] Could not find cuda drivers\n"
        "W0000 00:00:1795594891.835550   11654 cpu.cc:9] slow\n"
        "2025-09-17 14:44:05.157831: I external/local_xla/xla/tsl/cuda/cudart_stub.cc:32] Could not find\n"
        "E0000 00:00:1795594891.835550   11654 cuda_dnn.cc:8579] Unable to register cuDNN factory\n"
        "Traceback (most recent call last):\n"
    )
    assert drop_chatter(text) == (
        "E0000 00:00:1795594891.835550   11654 cuda_dnn.cc:8579] Unable to register cuDNN factory\n"
        "Traceback (most recent call last):\n"
    )
