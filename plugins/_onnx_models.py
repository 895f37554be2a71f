"""The models that ship in plugins/models/ (see its NOTICE), each loaded as one ONNX Runtime session."""
from __future__ import annotations

from pathlib import Path

from influencer_kit.plugin import MissingWeightsError

MODELS = Path(__file__).parent / "models"


def session(path: Path, threads: int, component: str,
            remedy: str = "reinstall influencer-kit, or rebuild the file with tools/convert_human_models.py"):
    """An ONNX Runtime session on the model file `path` with `threads` intra-op threads; a
    `MissingWeightsError` naming the file, and `remedy`, when it is missing or unreadable."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as err:  # ONNX Runtime raises its own classes for a missing or corrupt file
        raise MissingWeightsError(f"{component}: cannot load {path} ({type(err).__name__}); {remedy}") from err
