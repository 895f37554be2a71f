"""The onnxruntime MTCNN runtime finds what the TensorFlow runtime (the mtcnn package) finds, its
networks give the package's Keras networks' outputs, and it never loads TensorFlow.

Tolerances: each box and each landmark within 2 px and each confidence within 1e-3 of the package's. Both runtimes
compute in float32 but not in the same order (area resizing, convolution sums, softmax): measured
confidences differ by at most 4e-5 and boxes have matched to the pixel, but a coordinate that lands
near .5 may round the other way, and a one-pixel shift of a patch moves the refined box, so one or
two pixels is what "the same face" can honestly promise (the package rounds its landmarks to whole
pixels; ours are not rounded)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import skimage
from matplotlib import cbook

from influencer_kit.errors import ConfigError
from influencer_kit.faces.analyse import downscale
from influencer_kit.faces.frames import VideoReader, spread
from influencer_kit.model import Face
from influencer_kit.plugin import manager
from influencer_kit_plugins.mtcnn import MTCNNConfig, MTCNNDetector
from influencer_kit_samples.videos import load_rgb

BOX_PX = 2
LANDMARK_PX = 2
CONFIDENCE = 1e-3


@pytest.fixture(scope="module")
def runtimes() -> tuple[MTCNNDetector, MTCNNDetector]:
    return MTCNNDetector(MTCNNConfig(runtime="onnxruntime")).fit(), MTCNNDetector(MTCNNConfig(runtime="tensorflow")).fit()


def assert_same_faces(ours: list[list[Face]], theirs: list[list[Face]]) -> None:
    """Per frame the same number of faces, each matching the package's nearest face."""
    assert [len(faces) for faces in ours] == [len(faces) for faces in theirs]
    for our_faces, their_faces in zip(ours, theirs):
        for face in our_faces:
            nearest = min(their_faces, key=lambda f: max(abs(a - b) for a, b in zip(f.box, face.box)))
            assert max(abs(a - b) for a, b in zip(nearest.box, face.box)) <= BOX_PX, (face, nearest)
            assert face.confidence == pytest.approx(nearest.confidence, abs=CONFIDENCE)
            assert len(face.landmarks) == len(nearest.landmarks) == 5
            np.testing.assert_allclose(face.landmarks, nearest.landmarks, atol=LANDMARK_PX)


def detect_both(runtimes: tuple[MTCNNDetector, MTCNNDetector], frames: list[np.ndarray]) -> list[list[Face]]:
    """The onnxruntime runtime's faces, checked against the TensorFlow runtime's."""
    ours, theirs = (runtime.detect(frames) for runtime in runtimes)
    assert_same_faces(ours, theirs)
    return ours


def full_grace() -> np.ndarray:
    """matplotlib's grace_hopper.jpg as it is: 512x600."""
    return load_rgb(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


@pytest.mark.parametrize("stage, network, shape", [
    pytest.param(0, "pnet", (2, 37, 51, 3), id="pnet_odd_size"),  # odd sizes: TensorFlow's "same" pooling pads
    pytest.param(1, "rnet", (5, 24, 24, 3), id="rnet"),
    pytest.param(2, "onet", (5, 48, 48, 3), id="onet"),
])
def test_each_onnx_network_gives_the_keras_networks_outputs(runtimes, stage, network, shape):
    images = np.random.default_rng(stage).normal(0, 0.5, shape).astype(np.float32)
    offsets, landmarks, probability = getattr(runtimes[0].onnx_model_, network)(images)
    outputs = [np.asarray(output) for output in runtimes[1].model_.stages[stage].model(images)]
    np.testing.assert_allclose(offsets, outputs[0], atol=1e-4)
    np.testing.assert_allclose(probability, outputs[-1][..., 1], atol=1e-4)
    if network == "onet":  # the only network with a landmarks head: fractions of the patch
        np.testing.assert_allclose(landmarks, outputs[1], atol=1e-4)
    else:
        assert landmarks.shape[-1] == 0


@pytest.mark.parametrize("photo", [
    pytest.param(full_grace, id="grace_hopper_full"),
    pytest.param(lambda: downscale(full_grace(), 480)[0], id="grace_hopper_480"),
    pytest.param(skimage.data.astronaut, id="astronaut"),
])
def test_the_sample_portraits_give_the_packages_face(runtimes, photo):
    assert len(detect_both(runtimes, [photo()])[0]) == 1


@pytest.mark.parametrize("frame", [
    pytest.param(np.full((270, 480, 3), 128, np.uint8), id="blank"),
    pytest.param(np.random.default_rng(0).integers(0, 256, (270, 480, 3), dtype=np.uint8), id="noise"),
])
def test_a_frame_without_a_face_gives_no_face(runtimes, frame):
    assert detect_both(runtimes, [frame]) == [[]]


def test_labelled_and_group_photos_give_the_packages_faces(runtimes, shared_faces):
    people = [sorted((shared_faces / "people" / name).iterdir())[0] for name in ("obama", "biden", "rose_leslie")]
    for path in people:
        assert len(detect_both(runtimes, [load_rgb(path)])[0]) >= 1, path
    group = detect_both(runtimes, [load_rgb(shared_faces / "groups" / "obama_and_biden.jpg")])[0]
    assert len(group) >= 3


def test_a_batch_of_clip_frames_gives_the_packages_faces(runtimes, shared_faces):
    with VideoReader(str(shared_faces / "video" / "short_hamilton_clip.mp4")) as reader:
        frames = [downscale(frame, 480)[0] for _, frame in reader.read(spread(reader.frame_count, 8))]
    found = detect_both(runtimes, frames)
    assert sum(map(len, found)) >= 4


def test_the_default_detector_runs_on_onnxruntime_and_never_imports_tensorflow(tmp_path):
    assert manager.build("detector", {"name": "mtcnn"}).config.runtime == "onnxruntime"
    code = (
        "import sys\n"
        "from influencer_kit.plugin import manager\n"
        "from influencer_kit_samples.photos import grace_hopper\n"
        "faces = manager.build('detector', {'name': 'mtcnn'}).fit().detect([grace_hopper()])\n"
        "print(len(faces[0]), 'tensorflow' in sys.modules, 'mtcnn' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "False", "False"]


def test_an_unknown_runtime_is_refused():
    with pytest.raises(ConfigError, match="onnxruntime, tensorflow"):
        MTCNNDetector(MTCNNConfig(runtime="bogus")).fit()


def test_each_network_runs_on_the_workers_share_of_threads(monkeypatch):
    """The executor sets IK_THREADS in each worker (cores // workers); MTCNN's sessions take it."""
    from influencer_kit.execution.task import threads_per_worker
    from influencer_kit_plugins._mtcnn_onnx import MTCNN

    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert [threads_per_worker(workers) for workers in (1, 2, 3)] == [2, 1, 1]
    monkeypatch.setenv("IK_THREADS", "2")
    model = MTCNN()
    assert [net.session.get_session_options().intra_op_num_threads for net in (model.pnet, model.rnet, model.onet)] \
        == [2, 2, 2]
