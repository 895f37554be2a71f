"""What one embedding run costs with the shipped ONNX models: milliseconds a face and the memory a
run adds, by batch size (faces per run), intra-op threads, faceres's graph as shipped or with its
ReLU6s merged into one Clip each (`relu6_as_clip`), and ONNX Runtime's memory arena on or off.

    python benchmarks/embedding_runs.py [--repeats 5]

Each setting runs in its own process (memory is that process's peak RSS after loading the model,
minus before the runs), on crops of a real face (matplotlib's Grace Hopper, detected by MTCNN and cut
as the embedder cuts it), the fastest of `--repeats` runs. Writes
benchmarks/results/embedding_runs.md and prints it.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from itertools import product
from pathlib import Path

import cv2
import numpy as np

from measure import commit, load, machine, write_report

BATCHES = [1, 2, 4, 8]
MODELS = ["faceres", "faceres (as shipped)", "dlib"]


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_setting(model: str, batch: int, threads: int, arena: bool, repeats: int) -> dict:
    """ms a face and MiB a run adds, in this process."""
    import onnxruntime

    from influencer_kit.plugin import manager
    from influencer_kit.plugin.testing import build_default
    from influencer_kit_plugins import _onnx_models, dlib_resnet, faceres
    from influencer_kit_samples.photos import grace_hopper

    image = grace_hopper()
    face = build_default(manager.get_component("detector", "mtcnn")).fit().detect([image])[0][0]
    options = _onnx_models.session_options(threads)  # the plugins' own, but for the arena
    options.enable_cpu_mem_arena = arena
    if model == "dlib":
        embedder = dlib_resnet.DlibEmbedder(dlib_resnet.DlibConfig()).fit()
        chip = embedder._chips(image, [face])[0]
        inputs, path, rewrite = {"chips": np.stack([chip] * batch)}, dlib_resnet.MODEL, None
    else:
        warped = cv2.warpAffine(image, faceres.transform(face, "aligned"), (faceres.SIZE, faceres.SIZE))
        inputs = {"input_1": np.stack([warped[..., ::-1].astype(np.float32) - faceres.BGR_MEANS] * batch)}
        path, rewrite = faceres.MODEL, (_onnx_models.relu6_as_clip if model == "faceres" else None)
    import onnx

    graph = str(path) if rewrite is None else rewrite(onnx.load(str(path))).SerializeToString()
    session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    before = peak_mib()
    best = float("inf")
    for _ in range(repeats + 1):  # the first run warms up
        start = time.perf_counter()
        session.run(None, inputs)
        best = min(best, time.perf_counter() - start)
    return {"ms_a_face": 1000 * best / batch, "mib_a_run": peak_mib() - before}


def table(rows: list[dict]) -> str:
    lines = ["| model | threads | arena | " + " | ".join(f"batch {b}: ms a face, MiB" for b in BATCHES) + " |",
             "| --- | ---: | --- | " + " | ".join("---:" for _ in BATCHES) + " |"]
    keys = sorted({(r["model"], r["threads"], r["arena"]) for r in rows}, key=lambda k: (MODELS.index(k[0]), k[1], k[2]))
    for model, threads, arena in keys:
        cells = []
        for batch in BATCHES:
            row = next(r for r in rows if (r["model"], r["threads"], r["arena"], r["batch"]) == (model, threads, arena, batch))
            cells.append(f"{row['ms_a_face']:.1f}, +{row['mib_a_run']:.0f}")
        lines.append(f"| {model} | {threads} | {'on' if arena else 'off'} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)  # model index, batch, threads, arena
    args = parser.parse_args()
    if args.child:
        model, batch, threads, arena = args.child
        print(json.dumps(one_setting(MODELS[int(model)], int(batch), int(threads), arena == "1", args.repeats)))
        return
    load_before = load()
    rows = []
    for (m, model), batch, threads, arena in product(enumerate(MODELS), BATCHES, (1, 2), (False, True)):
        if model == "faceres (as shipped)" and arena:
            continue  # the shipped graph is measured for its speed only
        out = subprocess.run([sys.executable, __file__, "--repeats", str(args.repeats), "--child", str(m), str(batch),
                              str(threads), "1" if arena else "0"], capture_output=True, text=True, check=True)
        rows.append({"model": model, "batch": batch, "threads": threads, "arena": arena,
                     **json.loads(out.stdout.strip().splitlines()[-1])})
    report = "\n".join([
        "# One embedding run, by batch size, threads, graph and memory arena", "",
        f"`python benchmarks/embedding_runs.py --repeats {args.repeats}` at {commit()}. {machine()}; load average "
        f"before {load_before}, after {load()}. Fastest of {args.repeats} runs (after one to warm up), each setting "
        f"in its own process; MiB: the process's peak RSS growth over the runs (the activations ONNX Runtime "
        f"allocates), on copies of one real face. faceres: the graph with each ReLU6 merged into one Clip, as the "
        f"plugin runs it; faceres (as shipped): the file's own graph, Relu, Min and Max (arena off only).", "",
        table(rows), ""])
    write_report(report, "embedding_runs.md")


if __name__ == "__main__":
    main()
