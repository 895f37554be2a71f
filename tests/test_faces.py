"""Detection as the core applies it: downscaled frames, boxes mapped back, small/unsure faces dropped."""
from __future__ import annotations

import numpy as np
import pytest

from influencer_kit.errors import MissingWeightsError
from influencer_kit.faces.analyse import detect
from influencer_kit.plugin import manager
from influencer_kit.plugin.testing import build_default
from influencer_kit_samples.photos import grace_hopper


@pytest.fixture(scope="module")
def mtcnn():
    return build_default(manager.get_component("detector", "mtcnn")).fit()


@pytest.fixture(scope="module")
def big_grace() -> np.ndarray:
    """Grace Hopper enlarged to 1020 px wide, so detection at 480 px really downscales."""
    import cv2

    photo = grace_hopper()
    return np.ascontiguousarray(cv2.resize(photo, (photo.shape[1] * 3, photo.shape[0] * 3)))


def test_boxes_found_on_a_downscaled_frame_map_back_to_the_full_frame(mtcnn, big_grace):
    full = detect(mtcnn, [big_grace], detect_width=0, min_face_size=0, min_confidence=0.0)[0]
    small = detect(mtcnn, [big_grace], detect_width=480, min_face_size=0, min_confidence=0.0)[0]
    best_full, best_small = (max(f, key=lambda x: x.confidence) for f in (full, small))
    assert best_small.box[2] > 200  # in full-frame pixels, not the 480 px frame's
    assert np.allclose(best_small.box, best_full.box, atol=0.08 * best_full.box[2])


def test_small_and_unsure_faces_are_dropped(mtcnn, big_grace):
    faces = detect(mtcnn, [big_grace], 480, 0, 0.0)[0]
    width = max(min(f.box[2], f.box[3]) for f in faces)
    assert detect(mtcnn, [big_grace], 480, width + 1, 0.0) == [[]]
    assert detect(mtcnn, [big_grace], 480, 0, 1.01) == [[]]
    kept = detect(mtcnn, [big_grace], 480, width, 0.9)[0]
    assert kept and all(min(f.box[2], f.box[3]) >= width and f.confidence >= 0.9 for f in kept)


def test_retinaface_without_weights_names_the_missing_file_and_folder(tmp_path, monkeypatch):
    component = manager.get_component("detector", "retinaface")
    monkeypatch.setenv("DEEPFACE_HOME", str(tmp_path))
    if component.weights_present(component.config()):
        pytest.skip("retinaface weights are present here; nothing is missing")
    try:
        build_default(component).fit()
    except MissingWeightsError as err:
        message = str(err)
    else:
        pytest.skip("retinaface downloaded its weights: this machine is online")
    assert "retinaface.h5" in message or "retinaface.onnx" in message
    assert str(tmp_path / ".deepface" / "weights") in message
