"""How good a picture of its person a face is: large enough for the embedder, sharp, facing the
camera and surely a face. The best face of each track is embedded, a person's template weighs
their faces by it (`people.grouping`), and the best face shows them in every output."""
from __future__ import annotations

import cv2
import numpy as np

from influencer_kit.model import Face

FULL_SIZE = 150  # a face this many pixels across (shorter side) or more is as large as an embedder uses
# (dlib embeds 150 px chips); smaller faces count by their area below that
SHARPNESS_SCALE = 100.0  # variance of the Laplacian (face resized to SHARPNESS_WIDTH) that counts as half sharp
SHARPNESS_WIDTH = 64
FLOOR = 0.05  # no face counts for nothing: a profile or a blurred face still weighs a little


def sharpness(frame: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """From 0 (blurred) towards 1 (sharp): the variance of the Laplacian of the face, resized to a
    fixed width so that large and small faces compare, as v / (v + SHARPNESS_SCALE)."""
    x, y, w, h = box
    patch = frame[y : y + h, x : x + w]
    if patch.size == 0:
        return FLOOR
    gray = cv2.cvtColor(np.ascontiguousarray(patch), cv2.COLOR_RGB2GRAY)
    gray = cv2.resize(gray, (SHARPNESS_WIDTH, max(1, round(h * SHARPNESS_WIDTH / max(w, 1)))),
                      interpolation=cv2.INTER_AREA)
    variance = float(cv2.Laplacian(gray, cv2.CV_64F).var())
    return max(FLOOR, variance / (variance + SHARPNESS_SCALE))


def frontal(face: Face) -> float:
    """From 1 (facing the camera) down to `FLOOR` (in profile): how far the nose sits from the
    middle of the eyes, along the eye line, in half eye-distances. 1 without landmarks."""
    if face.landmarks is None:
        return 1.0
    left_eye, right_eye, nose = (np.asarray(p, dtype=np.float64) for p in face.landmarks[:3])
    across = right_eye - left_eye
    span = float(np.hypot(*across))
    if span <= 0:
        return FLOOR
    offset = abs(float((nose - (left_eye + right_eye) / 2) @ across)) / span  # pixels along the eye line
    return max(FLOOR, 1.0 - offset / (span / 2))


def face_quality(frame: np.ndarray, face: Face) -> float:
    """Size (area up to `FULL_SIZE` across, as a share of it) x sharpness x frontal pose x the
    detector's confidence."""
    short = min(face.box[2], face.box[3])
    size = min(1.0, short / FULL_SIZE) ** 2
    return size * sharpness(frame, face.box) * frontal(face) * face.confidence
