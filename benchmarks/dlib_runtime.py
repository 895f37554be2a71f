"""The dlib embedder's two runtimes side by side: onnxruntime (the default) and dlib.

    python benchmarks/dlib_runtime.py

On the labelled photos of ../shared/faces/people (faces found by the default detector, MTCNN), each
runtime embeds every photo's faces (`embed(frame, faces)`: 5-point alignment, 150x150 chips, the
network) on one thread: the largest difference between the two runtimes' descriptors, and the CPU
time per face (fastest of 3 passes after a warm-up pass), alignment and chips included. Writes
`benchmarks/results/dlib_runtime.md` and prints it.
"""
from __future__ import annotations

import time

import cv2
import numpy as np
from build_data import FACES
from measure import commit, load, machine, write_report
from threadpoolctl import threadpool_limits

from influencer_kit.plugin import manager
from influencer_kit_plugins.dlib_resnet import RUNTIMES
from influencer_kit_samples.videos import load_rgb

PASSES = 3


def photos_and_faces() -> list[tuple[np.ndarray, list]]:
    """Every photo of ../shared/faces/people with the faces MTCNN finds in it."""
    detector = manager.build("detector", {"name": "mtcnn"}).fit()
    photos = [load_rgb(path) for path in sorted((FACES / "people").glob("*/*")) if path.is_file()]
    return [(photo, detector.detect([photo])[0]) for photo in photos]


def cpu_ms_per_face(embedder, found: list[tuple[np.ndarray, list]]) -> tuple[float, np.ndarray]:
    """CPU ms per face of the fastest of PASSES passes over every photo, and the descriptors."""
    vectors = np.concatenate([embedder.embed(photo, faces) for photo, faces in found])  # warm-up
    passes = []
    for _ in range(PASSES):
        cpu = time.process_time()
        for photo, faces in found:
            embedder.embed(photo, faces)
        passes.append(time.process_time() - cpu)
    return min(passes) / len(vectors) * 1000, vectors


def main() -> None:
    before = load()
    cv2.setNumThreads(1)
    with threadpool_limits(1):
        found = photos_and_faces()
        results = {runtime: cpu_ms_per_face(manager.build("embedder", {"name": "dlib", "runtime": runtime}).fit(),
                                            found) for runtime in RUNTIMES}
    (onnx_ms, onnx_vectors), (dlib_ms, dlib_vectors) = results["onnxruntime"], results["dlib"]
    write_report(
        f"# dlib embedder runtimes: onnxruntime and dlib\n\n"
        f"Machine: {machine()}. Load average (1/5/15 min) before: {before}, after: {load()}. Commit {commit()}. "
        f"{len(found)} photos of ../shared/faces/people, {len(onnx_vectors)} faces found by MTCNN; each runtime "
        f"embeds each photo's faces in one `embed` call on one thread (ONNX Runtime intra-op threads 1, "
        f"threadpoolctl, cv2.setNumThreads(1)); CPU ms per face: fastest of {PASSES} passes after a warm-up pass, "
        f"the 5-point alignment and the chips included.\n\n"
        f"| runtime | CPU ms per face |\n|---|---|\n"
        f"| onnxruntime | {onnx_ms:.1f} |\n| dlib | {dlib_ms:.1f} |\n\n"
        f"Largest absolute difference between the runtimes' descriptors, over every component of every face: "
        f"{np.abs(onnx_vectors - dlib_vectors).max():.2e} (descriptors' largest component "
        f"{np.abs(dlib_vectors).max():.2f}).\n",
        "dlib_runtime.md",
    )


if __name__ == "__main__":
    main()
