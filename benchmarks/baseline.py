"""The seed's approach, for comparison: the first frame of each video only, MTCNN on the full frame,
`DeepFace.represent(model_name="Dlib", detector_backend="skip")` on each face crop, then
`DBSCAN(eps=0.7, min_samples=2)` over every face. A video's person is the cluster of the largest face
of its first frame; a face DBSCAN calls noise is a person of its own (as in influencer-kit).
Faces MTCNN is less than 0.9 sure of are dropped.

deepface's Dlib model reads `$DEEPFACE_HOME/.deepface/weights/dlib_face_recognition_resnet_model_v1.dat`
and cannot download it here; `face_recognition_models` ships the same file, so a temporary
DEEPFACE_HOME with a link to it is used.

`python benchmarks/baseline.py VIDEOS.csv OUT.json` writes, per row, the predicted person for each
eps tried, plus stage times and counts.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

SEED_EPS = 0.7
EPS_TRIED = [round(e, 2) for e in np.arange(0.2, 1.21, 0.05)]
MIN_CONFIDENCE = 0.9
WEIGHTS_FILE = "dlib_face_recognition_resnet_model_v1.dat"


def deepface_home_with_dlib_weights() -> str:
    """A temporary DEEPFACE_HOME whose weights folder links to face_recognition_models' dlib ResNet."""
    import face_recognition_models

    home = Path(tempfile.mkdtemp(prefix="deepface-home-"))
    (home / ".deepface" / "weights").mkdir(parents=True)
    (home / ".deepface" / "weights" / WEIGHTS_FILE).symlink_to(face_recognition_models.face_recognition_model_location())
    return str(home)


def first_frame(path: Path) -> np.ndarray | None:
    """The first frame (BGR), or None when it cannot be read."""
    cap = cv2.VideoCapture(str(path))
    ok, frame = cap.read()
    cap.release()
    return frame if ok else None


def person_labels(video_of_face: list[int], areas: list[int], labels: np.ndarray, n_videos: int) -> list[str]:
    """Per video: the label of its largest face ('' when it has none); noise is its own person."""
    best: dict[int, tuple[int, str]] = {}
    for face, (video, area, label) in enumerate(zip(video_of_face, areas, labels)):
        name = f"noise{face}" if label == -1 else f"person{label}"
        if area > best.get(video, (-1, ""))[0]:
            best[video] = (area, name)
    return [best.get(v, (0, ""))[1] for v in range(n_videos)]


def main(csv: Path, out: Path) -> None:
    times: dict[str, float] = defaultdict(float)
    start = time.perf_counter()
    os.environ["DEEPFACE_HOME"] = deepface_home_with_dlib_weights()
    from deepface import DeepFace
    from mtcnn import MTCNN
    from sklearn.cluster import DBSCAN

    detector = MTCNN()
    DeepFace.build_model(task="facial_recognition", model_name="Dlib")
    times["start"] = time.perf_counter() - start

    sheet = pd.read_csv(csv)
    vectors, video_of_face, areas = [], [], []
    frames_read = 0
    for video, url in enumerate(sheet["Video URL"]):
        t = time.perf_counter()
        frame = first_frame(csv.parent / url)
        times["decode"] += time.perf_counter() - t
        if frame is None:
            continue
        frames_read += 1
        t = time.perf_counter()
        found = [f for f in detector.detect_faces(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                 if f["confidence"] >= MIN_CONFIDENCE]
        times["detect"] += time.perf_counter() - t
        t = time.perf_counter()
        for face in found:
            x, y, w, h = (max(0, int(v)) for v in face["box"])
            result = DeepFace.represent(img_path=frame[y : y + h, x : x + w], model_name="Dlib",
                                        detector_backend="skip", enforce_detection=False)
            vectors.append(result[0]["embedding"])
            video_of_face.append(video)
            areas.append(w * h)
        times["embed"] += time.perf_counter() - t

    t = time.perf_counter()
    X = np.asarray(vectors, dtype=np.float32)
    predictions = {
        str(eps): person_labels(video_of_face, areas,
                                DBSCAN(eps=eps, min_samples=2).fit_predict(X) if len(X) else np.zeros(0, int),
                                len(sheet))
        for eps in sorted({SEED_EPS, *EPS_TRIED})
    }
    times["cluster (all eps)"] = time.perf_counter() - t
    out.write_text(json.dumps({
        "frames": frames_read, "faces_detected": len(vectors), "faces_embedded": len(vectors),
        "times": times, "predictions": predictions,
    }))


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]))
