"""The face cache: per video (sha256) and per detector/embedder settings, what the faces stage found.

An entry is a folder `<root>/faces/<settings key>/<sha256[:2]>/<sha256>/` holding `faces.npz`
(boxes, confidences, frame numbers, face tracks, face qualities, which faces were embedded, embeddings, how many false faces were dropped,
whether the frames are kept) and the face JPEGs, with the frame JPEGs unless the run that computed
it kept no frames (`output.frames=none`; a run that wants them analyses the video again). It is
written into a temporary folder and renamed into place in one step, so a killed run never leaves a
half-written entry and two jobs writing the same entry at once both end with one complete copy. Every computed
entry appends one line to `<root>/faces/<key>/computed.jsonl`: the cache's own counter.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from influencer_kit.atomic import write_atomic
from influencer_kit.model import FaceRecord, VideoFaces, VideoPictures

# Bump when the faces stage's code changes what it finds for the same settings, or the entry format
# changes: old entries are then never read.
FORMAT = 6


def settings_key(settings: dict) -> str:
    """A short key that changes whenever any setting that affects faces or embeddings changes."""
    blob = json.dumps({"format": FORMAT, **settings}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class FaceCache:
    def __init__(self, root: Path, settings: dict) -> None:
        self.key = settings_key(settings)
        self.dir = Path(root) / "faces" / self.key
        self.dir.mkdir(parents=True, exist_ok=True)
        settings_file = self.dir / "settings.json"
        if not settings_file.exists():
            write_atomic(settings_file, json.dumps(settings, indent=2, sort_keys=True, default=str).encode())

    def entry(self, sha256: str) -> Path:
        return self.dir / sha256[:2] / sha256

    def get(self, sha256: str, frames: bool = True) -> VideoFaces | None:
        """The cached result (its pictures in the entry's folder), or None when this video has not
        been analysed with these settings, or, when `frames` are wanted, was analysed without them."""
        folder = self.entry(sha256)
        if not (folder / "faces.npz").exists():
            return None
        data = np.load(folder / "faces.npz")
        if frames and not bool(data["has_frames"]):
            return None
        faces = [
            FaceRecord(box=tuple(int(v) for v in box), confidence=float(c), frame_index=int(f), track=int(t),
                       quality=float(q), embedded=bool(e))
            for f, box, c, t, q, e in zip(data["face_frames"], data["boxes"], data["confidences"], data["tracks"],
                                          data["qualities"], data["embedded"])
        ]
        return VideoFaces(frame_indices=[int(i) for i in data["frame_indices"]], faces=faces,
                          embeddings=data["embeddings"], false_faces=int(data["false_faces"]), images=folder)

    def put(self, sha256: str, analysed: VideoPictures) -> VideoFaces:
        """Store a result and its pictures; the entry appears whole or not at all. Returns the
        result with its pictures in the entry's folder (not in memory)."""
        result = analysed.found
        final = self.entry(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=final.parent))
        try:
            stored = replace(result, images=tmp)
            for index, jpeg in zip(result.frame_indices, analysed.frames_jpeg):
                stored.frame_file(index).write_bytes(jpeg)
            for i, jpeg in enumerate(analysed.crops_jpeg):
                stored.crop_file(i).write_bytes(jpeg)
            np.savez(
                tmp / "faces.npz",
                frame_indices=np.asarray(result.frame_indices, dtype=np.int64),
                face_frames=np.asarray([f.frame_index for f in result.faces], dtype=np.int64),
                boxes=np.asarray([f.box for f in result.faces], dtype=np.int64).reshape(-1, 4),
                confidences=np.asarray([f.confidence for f in result.faces], dtype=np.float64),
                tracks=np.asarray([f.track for f in result.faces], dtype=np.int64),
                qualities=np.asarray([f.quality for f in result.faces], dtype=np.float64),
                embedded=np.asarray([f.embedded for f in result.faces], dtype=np.bool_),
                embeddings=result.embeddings,
                false_faces=np.int64(result.false_faces),
                has_frames=np.bool_(len(analysed.frames_jpeg) == len(result.frame_indices)),
            )
            if not _move_into_place(tmp, final):  # another job stored it first: keep theirs
                return replace(result, images=final)
            with open(self.dir / "computed.jsonl", "a") as log:
                log.write(json.dumps({"sha256": sha256, "time": time.time(), "pid": os.getpid()}) + "\n")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return replace(result, images=final)

    def computed(self) -> list[str]:
        """The sha256 of every entry this cache has computed, once per computation."""
        log = self.dir / "computed.jsonl"
        return [json.loads(line)["sha256"] for line in log.read_text().splitlines()] if log.exists() else []



def _move_into_place(tmp: Path, final: Path) -> bool:
    """Rename `tmp` to `final`. An entry already there is kept, unless it lacks the frames `tmp`
    has (stored by a run that kept no frames), which it then replaces. False when it was kept."""
    try:
        os.rename(tmp, final)
        return True
    except OSError:
        pass
    if not (final / "faces.npz").exists() or bool(np.load(final / "faces.npz")["has_frames"]):
        return False
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    try:
        os.rename(final, old)
        os.rename(tmp, final)
    except OSError:
        return False
    finally:
        shutil.rmtree(old, ignore_errors=True)
    return True
