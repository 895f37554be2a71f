"""Video as people post it, written by a real ffmpeg (imageio-ffmpeg's): a phone video stored
sideways with rotation metadata, a vertical video, a variable frame rate, a long video cut into
shots, key frames standing in for planned frames, a codec FFmpeg here cannot decode, yt-dlp
choosing between codecs, and one decoding serving a video's fingerprint and its faces."""
from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from influencer_kit.acquire.download import FetchConfig
from influencer_kit.acquire.fetch import fetch
from influencer_kit.creatives.fingerprint import FingerprintSettings, fingerprint, fingerprint_file
from influencer_kit.errors import DecodeError
from influencer_kit.faces.analyse import AnalysisRules, analyse_video, downscale
from influencer_kit.faces.frames import VideoReader, spread
from influencer_kit.faces.shots import SCAN_FROM_SECONDS, look, sample_plan, shot_starts, spread_over_shots
from influencer_kit.people.videos_table import undecodable
from influencer_kit.plugin import manager
from influencer_kit.plugin.testing import build_default
from influencer_kit_samples.photos import astronaut, grace_hopper
from influencer_kit_samples.videos import blank_clip, face_clip, write_video

imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="writes the test videos: pip install imageio-ffmpeg")
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg(*args: str, frames: list[np.ndarray] = ()) -> None:
    """Run ffmpeg; `frames` (RGB, all one size) are its raw video input on stdin."""
    process = subprocess.Popen([FFMPEG, "-v", "error", "-y", *args], stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for frame in frames:
        process.stdin.write(np.ascontiguousarray(frame).tobytes())
    _, errors = process.communicate()
    assert process.returncode == 0, errors.decode()


def encode(path: Path, frames: list[np.ndarray], fps: float, *options: str, codec: str = "libx264") -> Path:
    """`frames` as a video in `codec`; `options` go between the input and the output."""
    height, width = frames[0].shape[:2]
    ffmpeg("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "-",
           *options, "-c:v", codec, "-pix_fmt", "yuv420p", str(path), frames=frames)
    return path


@pytest.fixture(scope="module")
def models():
    detector = build_default(manager.get_component("detector", "mtcnn")).fit()
    embedder = build_default(manager.get_component("embedder", "dlib")).fit()
    return detector, embedder


# ---------------------------------------------------------------- phone videos: rotation, vertical


@pytest.mark.parametrize("display_rotation, stored_as", [
    (-90, cv2.ROTATE_90_COUNTERCLOCKWISE),  # a phone held upright: shown turned 90 degrees clockwise
    (90, cv2.ROTATE_90_CLOCKWISE),
    (180, cv2.ROTATE_180),  # held upside down
])
def test_a_video_stored_turned_with_rotation_metadata_comes_out_upright(tmp_path, display_rotation, stored_as):
    upright = face_clip([astronaut()], 6, size=(320, 180), seed=1)  # vertical: 180 wide, 320 tall
    stored = write_video(tmp_path / "stored.mp4", [cv2.rotate(f, stored_as) for f in upright])
    phone = tmp_path / "phone.mp4"
    ffmpeg("-display_rotation", str(display_rotation), "-i", str(stored), "-c", "copy", str(phone))
    with VideoReader(str(phone)) as reader:
        frames = dict(reader.read([1, 4]))
    for index, frame in frames.items():
        assert frame.shape == upright[index].shape
        error = np.abs(frame.astype(int) - upright[index]).mean()
        assert error < 8 < np.abs(frame.astype(int) - upright[index][::-1, ::-1]).mean()


def test_a_sideways_phone_video_gives_upright_frames_where_its_face_is_found(models, tmp_path):
    upright = face_clip([grace_hopper()], 20, size=(640, 360), seed=2)
    stored = write_video(tmp_path / "stored.mp4", [cv2.rotate(f, cv2.ROTATE_90_COUNTERCLOCKWISE) for f in upright])
    phone = tmp_path / "phone.mp4"
    ffmpeg("-display_rotation", "-90", "-i", str(stored), "-c", "copy", str(phone))
    analysed = analyse_video(str(phone), *models, AnalysisRules())
    found = analysed.found
    frame = cv2.imdecode(np.frombuffer(analysed.frames_jpeg[0], np.uint8), cv2.IMREAD_COLOR)
    assert frame.shape[:2] == (640, 360)  # upright, as shown
    assert found.faces and all(f.box[3] > f.box[2] * 0.9 for f in found.faces)  # a face standing up


def test_a_vertical_video_is_searched_at_its_full_width(models, tmp_path):
    frames = face_clip([grace_hopper()], 10, size=(1920, 1080), seed=3, scales=[0.12])
    assert downscale(frames[0], 480)[0].shape[:2] == (853, 480)
    found = analyse_video(str(encode(tmp_path / "vertical.mp4", frames, 30)), *models, AnalysisRules()).found
    assert found.faces and max(f.box[2] for f in found.faces) < 200  # a small face in a tall frame


# ---------------------------------------------------------------- variable frame rate


def stamped(count: int) -> list[np.ndarray]:
    """Frames that carry their own number as 8 black or white squares along the top."""
    frames = []
    for k in range(count):
        frame = np.full((96, 128, 3), 90, np.uint8)
        for bit in range(8):
            frame[:16, bit * 16:(bit + 1) * 16] = 255 if k >> bit & 1 else 0
        frames.append(frame)
    return frames


def stamp_of(frame: np.ndarray) -> int:
    return sum(1 << bit for bit in range(8) if frame[4:12, bit * 16 + 4:bit * 16 + 12].mean() > 128)


# 60 frames at 30 fps (2 s), then 40 at 5 fps (8 s): the rate a phone drops to in the dark
SHOWN_AT = [k / 30 if k < 60 else 2 + (k - 60) / 5 for k in range(100)]


@pytest.mark.parametrize("suffix", ["mp4", "mkv"])
def test_a_variable_frame_rate_video_gives_every_planned_frame_at_its_time(tmp_path, suffix):
    path = encode(tmp_path / f"vfr.{suffix}", stamped(100), 30, "-vf", "setpts='if(lt(N,60),N/30,2+(N-60)/5)/TB'",
                  "-fps_mode", "vfr", "-g", "30")
    with VideoReader(str(path)) as reader:
        plan = spread(reader.frame_count, 8)
        read = sorted(reader.read(plan[::2]) + reader.read(plan[1::2]), key=lambda x: x[0])
        fps = reader.fps
    assert [index for index, _ in read] == plan  # none lost past a miscounted end
    shown = [SHOWN_AT[stamp_of(frame)] for _, frame in read]
    assert shown == sorted(shown)
    for (index, _), seconds in zip(read, shown):
        assert abs(seconds - index / fps) <= 0.5 + 1 / 5  # within half a second and one 5 fps frame


# ---------------------------------------------------------------- a long video cut into shots


def test_frames_go_one_to_each_shot_then_to_the_longest_per_frame_taken():
    assert spread_over_shots([0], [], 400, 8) == [25, 75, 125, 175, 225, 275, 325, 375]  # no cut, no looks: even
    starts = [0, 100, 120, 300]  # shots of 100, 20, 180 and 100 frames
    assert spread_over_shots(starts, [], 400, 4) == [50, 110, 210, 350]  # one each, in its middle
    assert spread_over_shots(starts, [], 400, 3) == [50, 210, 350]  # more shots than frames: the longest
    assert spread_over_shots(starts, [], 400, 8) == [25, 75, 110, 150, 210, 270, 325, 375]
    assert spread_over_shots([0, 3], [], 5, 8) == [0, 1, 2, 3, 4]  # never more frames than the video has


def test_a_shot_takes_its_looks_when_it_has_enough():
    looks = [16, 66, 116, 136, 316, 356]  # 16 frames after each key frame
    assert spread_over_shots([0, 100, 120, 300], looks, 400, 4) == [66, 116, 136, 356]  # its middle look
    assert spread_over_shots([0, 100, 120, 300], looks, 400, 8) == [16, 66, 116, 150, 210, 270, 316, 356]


def test_a_shot_starts_at_the_key_frame_whose_look_differs_from_the_one_before():
    a, b = (look(blank_clip(1, (90, 160), seed=s)[0]) for s in (21, 22))
    assert shot_starts([(0, a), (30, a + 4), (60, b), (90, b), (120, a)]) == [0, 60, 120]


# seconds: a backdrop, the main person (3 s, between two evenly spread frames), a backdrop, someone else
SHOTS = [(0.0, 13.5), (13.5, 16.5), (16.5, 30.0), (30.0, 40.0)]
FPS = 10


@pytest.fixture(scope="module")
def cut_video(tmp_path_factory) -> Path:
    """An edited post: H.264 as an editor exports it (x264 puts a key frame at each cut)."""
    size = (270, 480)
    scenes = [blank_clip(1, size, seed=11) * 135, face_clip([grace_hopper()], 30, size, seed=12),
              blank_clip(1, size, seed=13) * 135, face_clip([astronaut()], 100, size, seed=14)]
    return encode(tmp_path_factory.mktemp("cuts") / "cuts.mp4", [f for scene in scenes for f in scene], FPS)


def shot_of(index: int) -> int:
    return next(s for s, (_, end) in enumerate(SHOTS) if index / FPS < end)


def test_a_long_video_with_cuts_is_sampled_in_every_shot(cut_video):
    with VideoReader(str(cut_video)) as reader:
        assert reader.duration >= SCAN_FROM_SECONDS
        evenly = spread(reader.frame_count, 8)
        plan, tolerance = sample_plan(reader, 8)
    assert 1 not in {shot_of(i) for i in evenly}  # evenly spread frames miss the main person's shot
    assert {shot_of(i) for i in plan} == {0, 1, 2, 3} and len(plan) == 8 and tolerance == 0


def test_the_main_person_in_a_short_shot_is_found(models, cut_video):
    found = analyse_video(str(cut_video), *models, AnalysisRules()).found
    assert {shot_of(f.frame_index) for f in found.faces} == {1, 3}  # both people, nothing in the backdrops


# ---------------------------------------------------------------- codecs


@pytest.fixture(scope="module")
def av1_video(tmp_path_factory) -> Path:
    frames = face_clip([grace_hopper()], 10, size=(240, 320), seed=5)
    return encode(tmp_path_factory.mktemp("av1") / "post.mp4", frames, 10, "-cpu-used", "8", codec="libaom-av1")


@pytest.fixture(scope="module")
def avs2_video(tmp_path_factory) -> Path:
    """A video in AVS2, which ffmpeg encodes (libxavs2) and PyAV's FFmpeg has no decoder for."""
    frames = face_clip([grace_hopper()], 10, size=(240, 320), seed=5)
    try:
        path = encode(tmp_path_factory.mktemp("avs2") / "post.mkv", frames, 10, codec="libxavs2")
    except AssertionError:
        pytest.skip("this ffmpeg has no AVS2 encoder: no codec here that FFmpeg cannot decode to test with")
    return path


def test_a_video_in_a_codec_ffmpeg_cannot_decode_says_which_and_what_to_do(models, avs2_video):
    with pytest.raises(DecodeError) as err:
        analyse_video(str(avs2_video), *models, AnalysisRules())
    message = undecodable("https://example.com/post.mkv", avs2_video, str(err.value))
    assert message == ("https://example.com/post.mkv: its video is AVS2 (V_AVS2), which FFmpeg here cannot decode; "
                       "re-encode it as H.264 (ffmpeg -i VIDEO -c:v libx264 VIDEO.mp4) and give that file")


def test_an_av1_video_is_decoded(av1_video):
    with VideoReader(str(av1_video)) as reader:
        assert [index for index, _ in reader.read([0, 5, 9])] == [0, 5, 9]


MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT1S" minBufferTime="PT1S"
     profiles="urn:mpeg:dash:profile:isoff-on-demand:2011"><Period><AdaptationSet mimeType="video/mp4">
  <Representation id="av1" codecs="av01.0.05M.08" width="320" height="240" bandwidth="900000">
    <BaseURL>post-av1.mp4</BaseURL></Representation>
  <Representation id="avc" codecs="avc1.42E01E" width="320" height="240" bandwidth="300000">
    <BaseURL>post-avc.mp4</BaseURL></Representation>
</AdaptationSet></Period></MPD>"""


def test_yt_dlp_takes_the_h264_format_of_a_page_that_also_offers_av1(av1_video, serve_folder, tmp_path):
    """A post whose DASH manifest offers the same video in AV1 (at a higher bit rate, which yt-dlp
    would otherwise take) and in H.264."""
    pytest.importorskip("yt_dlp", reason="the social extra: pip install 'influencer-kit[social]'")
    site = tmp_path / "site"
    site.mkdir()
    h264 = encode(site / "post-avc.mp4", face_clip([grace_hopper()], 10, size=(240, 320), seed=5), 10)
    (site / "post-av1.mp4").write_bytes(av1_video.read_bytes())
    (site / "post.mpd").write_text(MANIFEST)
    (site / "post.html").write_text('<!DOCTYPE html><html><head><title>A post</title></head><body><video controls>'
                                    '<source src="post.mpd" type="application/dash+xml"></video></body></html>')
    got = fetch(1, f"{serve_folder(site)}/post.html", tmp_path, tmp_path / "cache", FetchConfig(retries=0))
    assert (got.status, got.source) == ("ok", "yt-dlp")
    assert got.path.read_bytes() == h264.read_bytes()


# ---------------------------------------------------------------- key frames standing in for planned frames


def keyed(path: Path, *key_seconds: float) -> Path:
    """`stamped(200)` at 25 fps in H.264 whose only key frames are at `key_seconds`."""
    times = ",".join(str(t) for t in key_seconds)
    return encode(path, stamped(200), 25, "-force_key_frames", times, "-x264-params", "keyint=1000:scenecut=0")


def read_as_analysis_does(path: Path) -> list[tuple[int, np.ndarray]]:
    """The evenly spread plan of 8, in two rounds of every other frame, within the plan's tolerance."""
    with VideoReader(str(path)) as reader:
        plan, tolerance = sample_plan(reader, 8)
        assert (plan, tolerance) == ([12, 37, 62, 87, 112, 137, 162, 187], 12)
        return sorted(reader.read(plan[::2], tolerance, plan[1::2]) + reader.read(plan[1::2], tolerance),
                      key=lambda pair: pair[0])


def test_a_key_frame_within_the_plans_tolerance_stands_in_for_a_planned_frame(tmp_path):
    path = keyed(tmp_path / "keys.mp4", 0, 1.2, 2.4, 4.8, 6.0)
    with VideoReader(str(path)) as reader:
        assert reader.key_frames() == [0, 30, 60, 120, 150]
    read = read_as_analysis_does(path)
    # 87 and 187 have no key frame within 12 frames; 137's nearest, 120, already stands in for 112
    # and 150 lies 13 away, so those three are decoded from the key frame before them
    assert [index for index, _ in read] == [0, 30, 60, 87, 120, 137, 150, 187]
    assert [stamp_of(frame) for _, frame in read] == [0, 30, 60, 87, 120, 137, 150, 187]


def test_a_video_with_one_key_frame_gives_the_planned_frames(tmp_path):
    path = keyed(tmp_path / "one_key.mp4", 0)
    with VideoReader(str(path)) as reader:
        assert reader.key_frames() == [0]
    read = read_as_analysis_does(path)
    assert [index for index, _ in read] == [0, 37, 62, 87, 112, 137, 162, 187]  # 12 -> the key frame 0
    assert [stamp_of(frame) for _, frame in read] == [0, 37, 62, 87, 112, 137, 162, 187]


def test_a_phone_video_read_from_its_key_frames_comes_out_upright(tmp_path):
    upright = face_clip([astronaut()], 40, size=(320, 180), seed=1)  # vertical: 180 wide, 320 tall
    stored = encode(tmp_path / "stored.mp4", [cv2.rotate(f, cv2.ROTATE_90_COUNTERCLOCKWISE) for f in upright], 10,
                    "-g", "10", "-sc_threshold", "0")
    phone = tmp_path / "phone.mp4"
    ffmpeg("-display_rotation", "-90", "-i", str(stored), "-c", "copy", str(phone))
    with VideoReader(str(phone)) as reader:
        assert reader.key_frames() == [0, 10, 20, 30]
        read = reader.read([2, 15, 21, 33], tolerance=4)
    assert [index for index, _ in read] == [0, 15, 20, 30]  # 15: no key frame within 4, decoded from 10
    for index, frame in read:
        assert frame.shape == upright[index].shape
        assert np.abs(frame.astype(int) - upright[index]).mean() < 8


# ---------------------------------------------------------------- one decoding for the fingerprint and the faces


class CountingReader(VideoReader):
    """A reader that notes each frame it decodes, going forward and key frames alone."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.decoded: list[int] = []

    def _decoded_from(self, key: int):
        for ordinal, frame in super()._decoded_from(key):
            self.decoded.append(ordinal)
            yield ordinal, frame

    def _key_alone(self, key: int, grey: bool):
        self.decoded.append(key)
        return super()._key_alone(key, grey)


@pytest.mark.parametrize("key_seconds", [(0,), (0, 2, 4, 6)], ids=["one_key_frame", "a_key_frame_every_2s"])
def test_the_fingerprints_pass_keeps_the_faces_frames_so_the_video_is_decoded_once(tmp_path, key_seconds):
    """No frame decoded twice (a key frame followed by wanted frames of its group is not decoded
    alone first), and the faces' frames kept from the fingerprint's pass."""
    path = keyed(tmp_path / "keys.mp4", *key_seconds)
    settings = FingerprintSettings()
    with CountingReader(str(path)) as reader:
        plan, tolerance = sample_plan(reader, 8)
        found = fingerprint(reader, settings, keep=plan)
        passed = list(reader.decoded)
        read = sorted(reader.read(plan[::2], tolerance, plan[1::2]) + reader.read(plan[1::2], tolerance),
                      key=lambda pair: pair[0])
        assert reader.decoded == passed  # the faces' frames cost no decoding of their own
    assert len(set(passed)) == len(passed)
    assert {round(float(t) * 25) for t in found.times} <= set(passed)
    # every planned frame itself (no key frame stands in), as RGB
    assert [index for index, _ in read] == [12, 37, 62, 87, 112, 137, 162, 187]
    assert [stamp_of(frame) for _, frame in read] == [12, 37, 62, 87, 112, 137, 162, 187]
    assert all(frame.shape == (96, 128, 3) for _, frame in read)
    alone = fingerprint_file(str(path), settings)
    np.testing.assert_array_equal(found.hashes, alone.hashes)
    np.testing.assert_array_equal(found.times, alone.times)
    assert len(found.times) == 80  # every 0.1 s of 8 s


def test_grey_frames_are_the_frames_brightness_upright(tmp_path):
    upright = face_clip([astronaut()], 20, size=(320, 180), seed=1)  # vertical: 180 wide, 320 tall
    stored = encode(tmp_path / "stored.mp4", [cv2.rotate(f, cv2.ROTATE_90_COUNTERCLOCKWISE) for f in upright], 10)
    phone = tmp_path / "phone.mp4"
    ffmpeg("-display_rotation", "-90", "-i", str(stored), "-c", "copy", str(phone))
    with VideoReader(str(phone)) as reader:
        grey = reader.read([3, 11], grey=True)
    assert [index for index, _ in grey] == [3, 11]
    for index, luma in grey:
        assert luma.shape == upright[index].shape[:2] and luma.dtype == np.uint8
        expected = cv2.cvtColor(upright[index], cv2.COLOR_RGB2GRAY).astype(float)
        assert np.corrcoef(luma.astype(float).ravel(), expected.ravel())[0, 1] > 0.98
