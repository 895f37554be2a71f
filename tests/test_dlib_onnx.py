"""embedder=dlib on ONNX Runtime: the shipped network (tools/dlib_to_onnx.py's conversion of dlib's
ResNet) gives dlib's own descriptors, a frame's faces embed the same in one batch as one by one, and
the runtime is part of the embedder config, so of the face cache's key.

Tolerance: 1e-4 on every descriptor component (components reach about 0.5; same-person distances are
cut at 0.55). Both runtimes compute in float32 in different orders: measured, they differ by at most
3e-7 on the photos of ../shared/faces."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import make_config
from omegaconf import OmegaConf

from influencer_kit.errors import ConfigError
from influencer_kit.faces.cache import settings_key
from influencer_kit.plugin import manager
from influencer_kit_plugins.dlib_resnet import CHIP, MODEL, PADDING, DlibConfig, DlibEmbedder
from influencer_kit_samples.photos import astronaut, grace_hopper
from influencer_kit_samples.videos import load_rgb

ROOT = Path(__file__).resolve().parents[1]
SHA256 = "c03a2076de2898ea13ff3a794bed6f7826603916ac4c165d25f2a2ef88a6a41c"
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def detector():
    return manager.build("detector", {"name": "mtcnn"}).fit()


@pytest.fixture(scope="module")
def runtimes() -> tuple[DlibEmbedder, DlibEmbedder]:
    """The default embedder (onnxruntime) and dlib's own runtime."""
    return (manager.build("embedder", {"name": "dlib"}).fit(),
            manager.build("embedder", {"name": "dlib", "runtime": "dlib"}).fit())


def test_the_shipped_model_is_the_listed_one():
    assert hashlib.sha256(MODEL.read_bytes()).hexdigest() == SHA256
    assert f"{SHA256}  dlib_resnet_v1.onnx" in (MODEL.parent / "SHA256SUMS").read_text().splitlines()


def test_the_conversion_rebuilds_the_shipped_file_byte_for_byte():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "dlib_to_onnx.py"), "--check"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"sha256 {SHA256}" in done.stdout and "match the rebuild" in done.stdout


def assert_same_descriptors(runtimes, frame: np.ndarray, faces: list) -> np.ndarray:
    ours, dlibs = (runtime.embed(frame, faces) for runtime in runtimes)
    assert ours.shape == dlibs.shape == (len(faces), 128)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, dlibs, atol=TOLERANCE, rtol=0)
    return ours


def test_grace_hopper_gets_dlibs_descriptor(detector, runtimes):
    frame = grace_hopper()
    faces = detector.detect([frame])[0]
    assert len(faces) == 1
    ours = assert_same_descriptors(runtimes, frame, faces)
    # three of dlib's own components for this face (runtime=dlib, dlib-bin 20.0.1)
    np.testing.assert_allclose(ours[0, :3], [-0.0607, 0.0385, 0.0646], atol=1e-3)


def test_the_chips_are_those_dlib_embeds(detector):
    """get_face_chips(size=150, padding=0.25), what the onnxruntime runtime feeds its network, cuts
    the very chips compute_face_descriptor cuts from a frame and a 5-point shape: dlib's network
    gives the same descriptor, to the bit, for either."""
    import dlib

    frame = np.ascontiguousarray(grace_hopper())
    x, y, w, h = detector.detect([frame])[0][0].box
    embedder = DlibEmbedder(DlibConfig(runtime="dlib")).fit()
    shape = embedder.shape_predictor_(frame, dlib.rectangle(x, y, x + w, y + h))
    chip = dlib.get_face_chips(frame, dlib.full_object_detections([shape]), size=CHIP, padding=PADDING)[0]
    assert chip.shape == (150, 150, 3)
    assert np.array_equal(np.asarray(embedder.model_.compute_face_descriptor(chip, 0)),
                          np.asarray(embedder.model_.compute_face_descriptor(frame, shape, 0)))


def test_the_labelled_photos_get_dlibs_descriptors(detector, runtimes, shared_faces):
    photos = sorted(path for path in (shared_faces / "people").glob("*/*") if path.is_file())
    embedded = 0
    for path in photos:
        frame = load_rgb(path)
        faces = detector.detect([frame])[0]
        embedded += len(assert_same_descriptors(runtimes, frame, faces))
    assert (len(photos), embedded) == (17, 17)


def two_faces() -> np.ndarray:
    """Grace Hopper and Eileen Collins side by side, one frame."""
    left, right = grace_hopper(), astronaut()
    right = cv2.resize(right, (round(right.shape[1] * left.shape[0] / right.shape[0]), left.shape[0]))
    return np.hstack([left, right])


def test_a_batch_of_faces_embeds_as_each_face_alone(detector, runtimes):
    frame = two_faces()
    faces = detector.detect([frame])[0]
    assert len(faces) == 2
    together = runtimes[0].embed(frame, faces)
    alone = np.concatenate([runtimes[0].embed(frame, [face]) for face in faces])
    np.testing.assert_allclose(together, alone, atol=1e-6, rtol=0)
    assert np.linalg.norm(together[0] - together[1]) > 0.6  # two people, not one face twice
    assert_same_descriptors(runtimes, frame, faces)


def test_jittered_descriptors_stay_near_the_plain_one(detector, runtimes):
    frame = grace_hopper()
    faces = detector.detect([frame])[0]
    jittered = manager.build("embedder", {"name": "dlib", "num_jitters": 4}).fit().embed(frame, faces)
    assert jittered.shape == (1, 128)
    assert 0 < np.linalg.norm(jittered[0] - runtimes[0].embed(frame, faces)[0]) < 0.2


def test_the_runtime_is_part_of_the_face_cache_key(tmp_path):
    default, own = (OmegaConf.to_container(make_config(tmp_path, overrides).embedder)
                    for overrides in (["embedder=dlib"], ["embedder=dlib", "embedder.runtime=dlib"]))
    assert default == {"name": "dlib", "mirror": False, "num_jitters": 0, "runtime": "onnxruntime", "threads": 1}
    assert own["runtime"] == "dlib"
    assert settings_key({"embedder": default}) != settings_key({"embedder": own})


@pytest.mark.parametrize("setting, message", [
    ({"runtime": "tensorflow"}, "embedder.runtime=tensorflow is not a dlib runtime: use one of onnxruntime, dlib"),
    ({"threads": 0}, "embedder.threads: 1 or more, got 0"),
])
def test_bad_settings_are_refused_naming_the_setting(setting, message):
    with pytest.raises(ConfigError, match=message):
        DlibEmbedder(DlibConfig(**setting)).fit()
