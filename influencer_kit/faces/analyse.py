"""From a video to its faces: sample frames, detect faces on downscaled frames (boxes mapped back),
follow each face from frame to frame, and embed only the best faces of each track.

Two rules keep the work small (see `analyse_video`):
- Early stop: the sampling plan's every other frame is read first (when that is at least
  `MIN_FRAMES_BEFORE_STOP` frames); when those frames are *settled* (each shows the same number of
  faces, at least one, and they link into that many tracks spanning every frame), the rest of the
  plan is skipped.
- Best faces per track: faces of consecutive sampled frames are linked into tracks when they can be
  the same person (near, of similar size and colour: `link_step`); each track is split into
  `faces_per_track` runs of frames and only the best face of each run (`faces.quality`: size,
  sharpness, frontal pose, confidence) is embedded. With 2 or more per track, embeddings that
  disagree (farther apart than `same_person_distance`) mean the track may hold two people: all its
  faces are embedded and the track is cut where one face disagrees with the one before it
  (`split_at_changes`). A face not embedded carries the embedding of its track's embedded face
  nearest in time.

Two rules keep false faces out, before anything is embedded (`people_only`): a face whose landmarks
could not be a face's (`plausible`), and, in a video of several frames, a face alone in its track
that the detector is not sure of (`SURE`): a pattern seen in one sampled frame only.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import cv2
import numpy as np

from influencer_kit.errors import DecodeError, require
from influencer_kit.faces.embedding import MemberMemo, embed_video_faces
from influencer_kit.faces.frames import VideoReader
from influencer_kit.faces.quality import face_quality
from influencer_kit.faces.shots import Plan, sample_plan
from influencer_kit.model import Face, FaceRecord, VideoFaces, VideoPictures
from influencer_kit.plugin.components import Detector, DetectorConfig, Embedder

MIN_FRAMES_BEFORE_STOP = 4  # never stop early with fewer frames read than this
MAX_STEP = 4.0  # a face links to one in the previous sampled frame whose centre is closer than this many face widths,
MAX_SIZE_RATIO = 1.5  # whose width differs by less than this factor
MIN_COLOUR_MATCH = 0.8  # and whose colours correlate at least this much (a cut to someone else breaks the track)

# Landmarks a face can have (`plausible`). Measured with the default detector on 16 frames of each
# clip of ../shared/real (869 faces) and on ../shared/faces (55): eye distance 0.31-0.61 of the box
# width, the nose 0.10-0.84 eye distances below the eye line, the mouth corners 0.20-1.06 eye
# distances below the nose, every point inside the box. The limits below keep a wide margin.
EYE_SPAN = (0.2, 0.8)  # the eyes' distance, as a fraction of the box width, lies within these
LANDMARK_MARGIN = 0.1  # points lie inside the box grown by this fraction of its size on each side
# A face alone in its track (seen in one sampled frame) among `MIN_FRAMES_FOR_TRACKS` frames or
# more is a person only when the detector is this sure. Measured on the clips of ../shared/real, 8
# and 16 frames each: of the lone faces the detector is at least 0.9 sure of, the 2 that are no
# face (objects behind the people in duet_split_screen) scored 0.907 and 0.973; 14 of the 22 real
# ones score 0.98 or more, among them every main person in a short shot (0.997-1.0); the 8 below
# are blurred background extras and one face 20 px wide.
SURE = 0.98
MIN_FRAMES_FOR_TRACKS = 3  # with fewer, one frame is too much of the video to call a face a stray


FRAMES_PER_VIDEO = 8  # the default of `frames_per_video`: frames read from each video


@dataclass
class PerVideoConfig:
    """`per_video`: rules that keep each video's work small (README: Speed); all are part of the
    face cache key."""

    early_stop: bool = True  # read every other frame first; skip the rest when those show settled faces
    faces_per_track: int = 2  # faces embedded per face track (its best ones); 0: every face. Two let a
    # track that holds two people (a cut between creators filmed alike) be found and cut
    # (`split_at_changes`), and a template weigh more than one face
    same_person_distance: float | None = None  # with 2+ per track: picks farther apart than this embed the
    # whole track; null: the embedder's same-person distance

    def __post_init__(self) -> None:
        require(self.faces_per_track >= 0, "per_video.faces_per_track", "a whole number, 0 (every face) or more",
                self.faces_per_track)
        require(self.same_person_distance is None or self.same_person_distance > 0, "per_video.same_person_distance",
                "a distance above 0, or null (the embedder's)", self.same_person_distance)


@dataclass(frozen=True)
class AnalysisRules:
    """How one video is sampled, which faces are kept and which are embedded: the settings of
    `frames_per_video`, the detector's shared fields and `per_video`, with their defaults."""

    frames_per_video: int = FRAMES_PER_VIDEO
    detect_width: int = DetectorConfig.detect_width
    min_face_size: int = DetectorConfig.min_face_size
    min_confidence: float = DetectorConfig.min_confidence
    faces_per_track: int = PerVideoConfig.faces_per_track
    early_stop: bool = PerVideoConfig.early_stop
    same_person_distance: float = 0.5  # `per_video.same_person_distance` resolved (the config's null is the
    # embedder's distance); this default serves callers without an embedder distance at hand


def downscale(frame: np.ndarray, width: int) -> tuple[np.ndarray, float]:
    """The frame resized to `width` (never enlarged) and the factor back to full size. By width, not
    by the longer side: a vertical 1080x1920 phone video keeps 480x853, its faces as large as in a
    landscape video of the same width."""
    if width <= 0 or frame.shape[1] <= width:
        return frame, 1.0
    factor = frame.shape[1] / width
    small = cv2.resize(frame, (width, round(frame.shape[0] / factor)), interpolation=cv2.INTER_AREA)
    return small, factor


def clip_box(box: tuple[float, float, float, float], shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """A box inside the frame, in whole pixels."""
    x, y, w, h = box
    x0, y0 = max(0, int(round(x))), max(0, int(round(y)))
    x1, y1 = min(shape[1], int(round(x + w))), min(shape[0], int(round(y + h)))
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


def detect(detector: Detector, frames: list[np.ndarray], detect_width: int, min_face_size: int,
           min_confidence: float) -> list[list[Face]]:
    """Faces per frame in full-frame pixels, detected on frames downscaled to `detect_width`,
    keeping those at least `min_face_size` pixels (shorter side) and `min_confidence` sure."""
    if not frames:
        return []
    scaled = [downscale(f, detect_width) for f in frames]
    found = detector.detect([s for s, _ in scaled])
    kept: list[list[Face]] = []
    for frame, (_, factor), faces in zip(frames, scaled, found):
        full = [in_full_frame(f, factor, frame.shape) for f in faces if f.confidence >= min_confidence]
        kept.append([f for f in full if min(f.box[2], f.box[3]) >= min_face_size])
    return kept


def in_full_frame(face: Face, factor: float, shape: tuple[int, ...]) -> Face:
    """A face found on a frame downscaled by `factor`, in the full frame's pixels."""
    landmarks = None if face.landmarks is None else tuple((x * factor, y * factor) for x, y in face.landmarks)
    return Face(clip_box(tuple(v * factor for v in face.box), shape), face.confidence, landmarks)


def encode_jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode JPEG")
    return buf.tobytes()


def crop(frame: np.ndarray, box: tuple[int, int, int, int], margin: float = 0.25) -> np.ndarray:
    """The face with a margin around it, for people to look at."""
    x, y, w, h = box
    mx, my = int(w * margin), int(h * margin)
    x0, y0 = max(0, x - mx), max(0, y - my)
    return frame[y0 : min(frame.shape[0], y + h + my), x0 : min(frame.shape[1], x + w + mx)]


def split_plan(plan: list[int], early_stop: bool) -> tuple[list[int], list[int]]:
    """The frames to read first and those to read only when the first ones are not settled:
    every other frame of the plan first, when that is at least `MIN_FRAMES_BEFORE_STOP` frames."""
    first = plan[::2]
    if not early_stop or len(first) < MIN_FRAMES_BEFORE_STOP:
        return plan, []
    return first, plan[1::2]


@dataclass(frozen=True)
class Sighting:
    """A face in one sampled frame, with what linking it to other frames needs."""

    position: int  # which sampled frame, in time order
    face: Face
    colour: np.ndarray  # hue-saturation histogram of the face box (`colour_of`)
    quality: float  # how good a picture of its person (`face_quality`)


def colour_of(frame: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A hue-saturation histogram of the face box (RGB frame), summing to 1."""
    x, y, w, h = box
    hsv = cv2.cvtColor(np.ascontiguousarray(frame[y : y + h, x : x + w]), cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [16, 8], [0, 180, 0, 256])
    return (hist / max(float(hist.sum()), 1.0)).astype(np.float32)


def sightings(frames: list[np.ndarray], per_frame: list[list[Face]]) -> list[list[Sighting]]:
    return [[Sighting(p, f, colour_of(frame, f.box), face_quality(frame, f)) for f in faces]
            for p, (frame, faces) in enumerate(zip(frames, per_frame))]


def link_step(a: Sighting, b: Sighting) -> float | None:
    """How far the face moved between two frames, in face widths; None when the two cannot be the
    same person: farther than `MAX_STEP`, of another size (`MAX_SIZE_RATIO`) or another colour
    (`MIN_COLOUR_MATCH`)."""
    (ax, ay, aw, ah), (bx, by, bw, bh) = a.face.box, b.face.box
    step = float(np.hypot((ax + aw / 2) - (bx + bw / 2), (ay + ah / 2) - (by + bh / 2))) / max(1.0, (aw + bw) / 2)
    small, large = sorted((max(1, aw), max(1, bw)))
    if step >= MAX_STEP or large / small >= MAX_SIZE_RATIO:
        return None
    if cv2.compareHist(a.colour, b.colour, cv2.HISTCMP_CORREL) < MIN_COLOUR_MATCH:
        return None
    return step


def link_tracks(per_frame: list[list[Sighting]]) -> list[list[int]]:
    """A track number per face, frame by frame (frames in time order). A face joins the track of a
    face in the previous frame that it can be (`link_step`), nearest pairs first, one face per
    track per frame; any other face starts a new track."""
    tracks: list[list[int]] = []
    previous: list[tuple[Sighting, int]] = []
    next_track = 0
    for faces in per_frame:
        steps = ((link_step(face, before), i, j) for i, face in enumerate(faces)
                 for j, (before, _) in enumerate(previous))
        ids: list[int | None] = [None] * len(faces)
        taken: set[int] = set()
        for _, i, j in sorted(s for s in steps if s[0] is not None):
            if ids[i] is None and j not in taken:
                ids[i] = previous[j][1]
                taken.add(j)
        for i in range(len(faces)):
            if ids[i] is None:
                ids[i], next_track = next_track, next_track + 1
        tracks.append([int(t) for t in ids])
        previous = list(zip(faces, tracks[-1]))
    return tracks


def settled(per_frame: list[list[Sighting]]) -> bool:
    """True when every frame shows the same number of faces (at least one) and they link into
    that many tracks, each with a face in every frame: more frames would show the same people."""
    counts = {len(faces) for faces in per_frame}
    if len(counts) != 1 or counts == {0}:
        return False
    return len({t for ids in link_tracks(per_frame) for t in ids}) == counts.pop()


def plausible(face: Face) -> bool:
    """Whether a face's landmarks (if it has them) could be a face's: every point inside the box
    (within `LANDMARK_MARGIN`), the image-left eye left of the other, the eyes `EYE_SPAN` of the box
    width apart, the nose below the eye line and both mouth corners below the nose. "Below" is along
    the face's own vertical (across the eye line), so a tilted head is still upright."""
    if face.landmarks is None:
        return True
    x, y, w, h = face.box
    points = np.asarray(face.landmarks, dtype=np.float64)
    low = np.array([x - LANDMARK_MARGIN * w, y - LANDMARK_MARGIN * h])
    high = np.array([x + (1 + LANDMARK_MARGIN) * w, y + (1 + LANDMARK_MARGIN) * h])
    if (points < low).any() or (points > high).any():
        return False
    left_eye, right_eye, nose, mouth_left, mouth_right = points
    across = right_eye - left_eye
    span = float(np.hypot(*across))
    if across[0] <= 0 or not EYE_SPAN[0] * w <= span <= EYE_SPAN[1] * w:
        return False
    down = np.array([-across[1], across[0]]) / span  # unit vector, a right angle clockwise from `across`
    eyes = (left_eye + right_eye) / 2
    nose_drop = (nose - eyes) @ down
    return bool(0 < nose_drop < min((mouth_left - eyes) @ down, (mouth_right - eyes) @ down))


def people_only(per_frame: list[list[Sighting]]) -> tuple[list[list[Sighting]], list[list[int]], int]:
    """The faces that can be people, frame by frame, their tracks (`link_tracks`), and how many
    faces were not: those with implausible landmarks (`plausible`), then, among
    `MIN_FRAMES_FOR_TRACKS` frames or more, those alone in their track that the detector is less
    than `SURE` of."""
    shaped = [[s for s in faces if plausible(s.face)] for faces in per_frame]
    tracks = link_tracks(shaped)
    sizes = Counter(t for ids in tracks for t in ids)
    several = len(per_frame) >= MIN_FRAMES_FOR_TRACKS
    kept = [[(s, t) for s, t in zip(faces, ids) if not (several and sizes[t] == 1 and s.face.confidence < SURE)]
            for faces, ids in zip(shaped, tracks)]
    dropped = sum(map(len, per_frame)) - sum(map(len, kept))
    return [[s for s, _ in pairs] for pairs in kept], [[t for _, t in pairs] for pairs in kept], dropped


def best_faces(track_of_face: list[int], quality: list[float], per_track: int) -> list[int]:
    """Indices of the faces to embed: each track's faces (in time order) are split into
    `per_track` runs of nearly equal length, and the best face of each run is taken (highest
    quality, the earliest on a tie). `per_track` 0 takes every face."""
    if per_track <= 0:
        return list(range(len(track_of_face)))
    chosen: list[int] = []
    for track in sorted(set(track_of_face)):
        members = [i for i, t in enumerate(track_of_face) if t == track]
        for run in np.array_split(np.asarray(members), min(per_track, len(members))):
            chosen.append(int(max(run, key=lambda i: (quality[i], -i))))
    return sorted(chosen)


def disagreeing_tracks(track_of_face: list[int], embedded: dict[int, np.ndarray], distance: float) -> set[int]:
    """Tracks whose embedded faces are not all within `distance` of each other."""
    out: set[int] = set()
    for track in set(track_of_face):
        vectors = [v for i, v in embedded.items() if track_of_face[i] == track]
        if any(np.linalg.norm(a - b) > distance for k, a in enumerate(vectors) for b in vectors[k + 1:]):
            out.add(track)
    return out


def detect_sampled(reader: VideoReader, detector: Detector, rules: AnalysisRules, plan: Plan
                   ) -> tuple[list[int], list[np.ndarray], list[list[Sighting]]]:
    """Frame numbers, frames and the faces in each, in time order, under the early-stop rule. A
    frame read may be a key frame near the planned one (within the plan's tolerance: `sample_plan`),
    and the frames the first round passes on its way serve the second."""
    def look(wanted: list[int], later: list[int] = ()) -> tuple[list[tuple[int, np.ndarray]], list[list[Face]]]:
        read = reader.read(wanted, tolerance, later)
        return read, detect(detector, [f for _, f in read], rules.detect_width, rules.min_face_size,
                            rules.min_confidence)

    planned, tolerance = plan
    first, rest = split_plan(planned, rules.early_stop)
    read, found = look(first, rest)
    if rest and not (len(read) == len(first) and settled(sightings([f for _, f in read], found))):
        more, more_found = look(rest)
        read, found = read + more, found + more_found
    order = sorted(range(len(read)), key=lambda k: read[k][0])
    frames = [read[k][1] for k in order]
    return [read[k][0] for k in order], frames, sightings(frames, [found[k] for k in order])


def embed_faces(embedder: Embedder, frames: list[np.ndarray], numbers: list[int], seen: list[Sighting],
                which: list[int], memo: MemberMemo | None = None) -> dict[int, np.ndarray]:
    """Embeddings of the faces `which` (indices into `seen`), all frames' in one batch where the
    embedder batches, as the core compares them (`embedding.embed_video_faces`); `numbers` are the
    frames' numbers in the video."""
    positions = sorted({seen[i].position for i in which})
    ids = [[i for i in which if seen[i].position == position] for position in positions]
    items = [(frames[position], [seen[i].face for i in group]) for position, group in zip(positions, ids)]
    places = [[(numbers[position], *seen[i].face.box) for i in group] for position, group in zip(positions, ids)]
    vectors = embed_video_faces(embedder, items, places, memo)
    return {i: v for group, frame_vectors in zip(ids, vectors) for i, v in zip(group, frame_vectors)}


def analyse_video(path: str, detector: Detector, embedder: Embedder, rules: AnalysisRules,
                  keep_frames: bool = True, memo: MemberMemo | None = None) -> VideoPictures:
    """`analyse_read` on the video at `path`, with its own sampling plan. Raises `DecodeError`."""
    with VideoReader(path) as reader:
        return analyse_read(reader, face_plan(reader, rules), detector, embedder, rules, keep_frames, memo)


def face_plan(reader: VideoReader, rules: AnalysisRules) -> Plan:
    """The frames to sample for faces (both rounds of the early stop) and their tolerance."""
    return sample_plan(reader, rules.frames_per_video)


def analyse_read(reader: VideoReader, plan: Plan, detector: Detector, embedder: Embedder, rules: AnalysisRules,
                 keep_frames: bool = True, memo: MemberMemo | None = None) -> VideoPictures:
    """Sample the `plan`'s frames from `reader` (early stop), detect faces, link them into tracks,
    drop false faces (`people_only`) and embed the best faces of each track (all of a track whose
    picks disagree). The result carries a JPEG of each face and, when `keep_frames`, of each sampled
    frame. A fused embedder's members reuse and extend `memo`. Raises `DecodeError`."""
    indices, frames, per_frame = detect_sampled(reader, detector, rules, plan)
    if not frames:
        raise DecodeError("none of the sampled frames could be decoded")
    per_frame, tracks, false_faces = people_only(per_frame)
    seen = [s for faces in per_frame for s in faces]
    track_of_face = [t for ids in tracks for t in ids]
    quality = [s.quality for s in seen]
    embedded = embed_faces(embedder, frames, indices, seen, best_faces(track_of_face, quality, rules.faces_per_track),
                           memo)
    unsure = disagreeing_tracks(track_of_face, embedded, rules.same_person_distance)
    rest = [i for i, t in enumerate(track_of_face) if t in unsure and i not in embedded]
    embedded.update(embed_faces(embedder, frames, indices, seen, rest, memo))
    track_of_face = split_at_changes(track_of_face, unsure, embedded, rules.same_person_distance)
    if memo is not None:
        memo.save()
    faces = VideoFaces(
        frame_indices=indices,
        faces=[FaceRecord(box=s.face.box, confidence=s.face.confidence, frame_index=indices[s.position], track=track,
                          quality=s.quality, embedded=i in embedded)
               for i, (s, track) in enumerate(zip(seen, track_of_face))],
        embeddings=track_filled(track_of_face, [s.position for s in seen], embedded),
        false_faces=false_faces,
    )
    return VideoPictures(faces, [encode_jpeg(f, 85) for f in frames] if keep_frames else [],
                         [encode_jpeg(crop(frames[s.position], s.face.box)) for s in seen])


def split_at_changes(track_of_face: list[int], unsure: set[int], embedded: dict[int, np.ndarray],
                     distance: float) -> list[int]:
    """Tracks `unsure` (every face embedded) cut wherever a face lies farther than `distance` from the
    one before it in the track: a cut from one person to another who stands in the same place (two
    creators filmed alike, one after the other) is not one person. The pieces get new track numbers;
    grouping the video's faces may still join them when their embeddings agree on average."""
    out = list(track_of_face)
    next_track = max(track_of_face, default=-1) + 1
    for track in sorted(unsure):
        members = [i for i, t in enumerate(track_of_face) if t == track]  # in time order
        current = track
        for before, face in zip(members, members[1:]):
            if np.linalg.norm(embedded[face] - embedded[before]) > distance:
                current, next_track = next_track, next_track + 1
            out[face] = current
    return out


def track_filled(track_of_face: list[int], frame_of_face: list[int], embedded: dict[int, np.ndarray]) -> np.ndarray:
    """One row per face: its own embedding, else that of the embedded face of its track nearest in
    time (the earlier one on a tie)."""
    if not track_of_face:
        return np.zeros((0, 0), np.float32)
    rows = []
    for i, track in enumerate(track_of_face):
        nearest = min((j for j in embedded if track_of_face[j] == track),
                      key=lambda j: (abs(frame_of_face[j] - frame_of_face[i]), frame_of_face[j], j))
        rows.append(embedded[nearest])
    return np.stack(rows).astype(np.float32)
