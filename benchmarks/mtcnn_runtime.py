"""The MTCNN detector's two runtimes side by side: onnxruntime (the default) and tensorflow.

    python benchmarks/mtcnn_runtime.py

Each runtime runs in a fresh child process with one thread (BLAS, OpenCV, ONNX Runtime and
TensorFlow alike, as a worker runs): the time to import and build the detector, then the CPU time
per frame to detect faces in frames of the real clip (../shared/faces/video/short_hamilton_clip.mp4)
downscaled to 480 px, in batches of 4 and of 16 (fastest of 3 passes, after a first pass that warms
up), and the child's peak resident memory. Writes `benchmarks/results/mtcnn_runtime.md` and prints it.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from build_data import FACES
from measure import commit, load, machine, write_report

RUNTIMES = ("onnxruntime", "tensorflow")
BATCHES = (4, 16)
FRAMES = 32
PASSES = 3


def child(runtime: str) -> dict:
    """Measure one runtime in this process; the numbers as a dict."""
    import cv2
    from threadpoolctl import threadpool_limits

    from influencer_kit.faces.analyse import downscale
    from influencer_kit.faces.frames import VideoReader, spread

    cv2.setNumThreads(1)
    with VideoReader(str(FACES / "video" / "short_hamilton_clip.mp4")) as reader:
        frames = [downscale(frame, 480)[0] for _, frame in reader.read(spread(reader.frame_count, FRAMES))]
    wall, cpu = time.perf_counter(), time.process_time()
    from influencer_kit_plugins.mtcnn import MTCNNConfig, MTCNNDetector

    if runtime == "tensorflow":  # threads are set before TensorFlow starts (fit would start it)
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    detector = MTCNNDetector(MTCNNConfig(runtime=runtime)).fit()
    build_wall, build_cpu = time.perf_counter() - wall, time.process_time() - cpu
    result = {"runtime": runtime, "build_wall_s": build_wall, "build_cpu_s": build_cpu, "frames": len(frames)}
    with threadpool_limits(1):
        for batch in BATCHES:
            detector.batch_size = batch
            cpu = time.process_time()
            faces = detector.detect(frames)  # warm-up pass (TensorFlow traces its graphs here)
            result[f"first_pass_ms_{batch}"] = (time.process_time() - cpu) / len(frames) * 1000
            passes = []
            for _ in range(PASSES):
                cpu = time.process_time()
                detector.detect(frames)
                passes.append(time.process_time() - cpu)
            result[f"ms_per_frame_{batch}"] = min(passes) / len(frames) * 1000
            result["faces"] = sum(map(len, faces))
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["tensorflow_loaded"] = "tensorflow" in sys.modules
    return result


def table(rows: list[dict]) -> str:
    head = ("| runtime | import + build s (wall) | import + build CPU s | ms/frame, batch 4 | ms/frame, batch 16 "
            "| first pass ms/frame, batch 4 | peak RSS MiB | faces in the frames | TensorFlow loaded |\n"
            "|---|---|---|---|---|---|---|---|---|\n")
    return head + "".join(
        f"| {r['runtime']} | {r['build_wall_s']:.2f} | {r['build_cpu_s']:.2f} | {r['ms_per_frame_4']:.1f} "
        f"| {r['ms_per_frame_16']:.1f} | {r['first_pass_ms_4']:.1f} | {r['peak_rss_mib']:.0f} | {r['faces']} "
        f"| {'yes' if r['tensorflow_loaded'] else 'no'} |\n"
        for r in rows
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=RUNTIMES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    before = load()
    rows = []
    for runtime in RUNTIMES:
        done = subprocess.run([sys.executable, __file__, "--child", runtime], capture_output=True, text=True,
                              check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    write_report(
        f"# MTCNN runtimes: onnxruntime and tensorflow\n\n"
        f"Machine: {machine()}. Load average (1/5/15 min) before: {before}, after: {load()}. Commit {commit()}. "
        f"Each runtime in a fresh child process with one thread (threadpoolctl for BLAS, cv2.setNumThreads(1), "
        f"ONNX Runtime's sessions and TensorFlow's intra- and inter-op threads 1). Import + build: importing the "
        f"detector module and `fit()` (ONNX Runtime or TensorFlow is imported there, the ONNX graphs are built "
        f"there), after numpy, OpenCV and the frames are loaded. "
        f"ms/frame: CPU time of `detect` over {FRAMES} frames of short_hamilton_clip.mp4 downscaled to 480x270, "
        f"fastest of {PASSES} passes after a warm-up pass (its time is the first-pass column). Peak RSS: "
        f"the child's maximum resident set size (frames and Python included).\n\n"
        + table(rows),
        "mtcnn_runtime.md",
    )


if __name__ == "__main__":
    main()
