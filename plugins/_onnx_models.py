"""The models that ship in plugins/models/ (see its NOTICE), each loaded as one ONNX Runtime session."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from influencer_kit.plugin import MissingWeightsError

MODELS = Path(__file__).parent / "models"
BATCH = 4  # faces per run at most. faceres, a face (benchmarks/results/embedding_runs.md): on one thread
# 8.9 ms in a batch of 4 against 9.5 alone, on two 4.8 against 7.7; batches of 8 are no faster (12.1, 6.3)
# and a run of 8 adds 78 MiB of activations against 39-54 for 4


def in_batches(run: Callable[[np.ndarray], np.ndarray], images: np.ndarray) -> np.ndarray:
    """`run` on `images` (at least one) BATCH at a time, the outputs joined."""
    return np.concatenate([run(images[start:start + BATCH]) for start in range(0, len(images), BATCH)])


def session_options(threads: int) -> Any:
    """ONNX Runtime's options for every model a worker runs: `threads` intra-op threads that sleep
    when idle (on a shared machine spinning ones took CPU from the other worker: 28 CPU-s against 19
    for 61 videos), no memory arena (it keeps its largest run's memory for good: without it, one
    process analysing the 12 per_video_cost videos twice, one thread, faces only, peaked 200-230 MiB
    lower, as fast), errors only in the log."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.enable_cpu_mem_arena = False
    options.log_severity_level = 3
    return options


def session(path: Path, threads: int, component: str,
            remedy: str = "reinstall influencer-kit, or rebuild the file with tools/convert_human_models.py",
            rewrite: Callable[[Any], Any] | None = None):
    """An ONNX Runtime session on the model file `path` with `threads` intra-op threads, the graph
    first passed through `rewrite` (an `onnx.ModelProto` in, one out) when given; a
    `MissingWeightsError` naming the file, and `remedy`, when it is missing or unreadable."""
    import onnx
    import onnxruntime

    try:
        model = str(path) if rewrite is None else rewrite(onnx.load(str(path))).SerializeToString()
        return onnxruntime.InferenceSession(model, session_options(threads), providers=["CPUExecutionProvider"])
    except Exception as err:  # ONNX Runtime raises its own classes for a missing or corrupt file
        raise MissingWeightsError(f"{component}: cannot load {path} ({type(err).__name__}); {remedy}") from err


def relu6_as_clip(model: Any) -> Any:
    """The model with each ReLU6 that tf2onnx writes as three nodes (Relu, then Min with a constant,
    then Max with a constant) as one Clip, which ONNX Runtime fuses into the convolution before it:
    the same numbers, and for MobileNet-style models (faceres) about a third less time. `model` is
    an `onnx.ModelProto`, changed in place and returned."""
    from onnx import numpy_helper

    graph = model.graph
    values = {i.name: i for i in graph.initializer}
    casts = {n.output[0]: n.input[0] for n in graph.node if n.op_type == "Cast"}  # fp16 weights cast to fp32
    readers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)

    def scalar(name: str) -> float | None:
        source = values.get(casts.get(name, name))
        array = None if source is None else numpy_helper.to_array(source)
        return float(array.flat[0]) if array is not None and array.size and np.all(array == array.flat[0]) else None

    def only_reader(node: Any, kind: str) -> Any:
        after = readers.get(node.output[0], [])
        return after[0] if len(after) == 1 and after[0].op_type == kind else None

    merged: set[int] = set()
    for node in graph.node:
        low_cut = only_reader(node, "Min") if node.op_type == "Relu" else None
        high_cut = only_reader(low_cut, "Max") if low_cut is not None else None
        if high_cut is None:
            continue
        high, low = scalar(low_cut.input[1]), scalar(high_cut.input[1])
        if high is None or low is None or max(0.0, low) > high:
            continue
        bounds = [numpy_helper.from_array(np.array(v, np.float32), f"{high_cut.output[0]}_{side}")
                  for v, side in ((max(0.0, low), "low"), (high, "high"))]
        graph.initializer.extend(bounds)
        node.op_type = "Clip"
        node.input.extend([b.name for b in bounds])
        node.output[0] = high_cut.output[0]
        merged |= {id(low_cut), id(high_cut)}
    kept = [n for n in graph.node if id(n) not in merged]
    del graph.node[:]
    graph.node.extend(kept)
    return model
