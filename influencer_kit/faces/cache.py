"""The face cache: per video (sha256) and per detector/embedder settings, what the faces stage found.

An entry is a folder `<root>/faces/<settings key>/<sha256[:2]>/<sha256>/` holding `faces.npz`
(boxes, confidences, frame numbers, face tracks, embeddings, how many false faces were dropped) and
the frame and face JPEGs. It is written into a temporary folder and renamed into place in one step,
so a killed run never leaves a half-written
entry and two jobs writing the same entry at once both end with one complete copy. Every computed
entry appends one line to `<root>/faces/<key>/computed.jsonl`: the cache's own counter.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from influencer_kit.atomic import write_atomic
from influencer_kit.model import FaceRecord, VideoFaces

# Bump when the faces stage's code changes what it finds for the same settings, or the entry format
# changes: old entries are then never read.
FORMAT = 4


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

    def get(self, sha256: str) -> VideoFaces | None:
        """The cached result, or None when this video has not been analysed with these settings."""
        folder = self.entry(sha256)
        if not (folder / "faces.npz").exists():
            return None
        data = np.load(folder / "faces.npz")
        frames = [int(i) for i in data["frame_indices"]]
        faces = [
            FaceRecord(box=tuple(int(v) for v in box), confidence=float(c), frame_index=int(f),
                       crop_jpeg=(folder / f"face_{i:03d}.jpg").read_bytes(), track=int(t))
            for i, (f, box, c, t) in enumerate(zip(data["face_frames"], data["boxes"], data["confidences"],
                                                   data["tracks"]))
        ]
        return VideoFaces(
            frame_indices=frames,
            frames_jpeg=[(folder / f"frame_{i:06d}.jpg").read_bytes() for i in frames],
            faces=faces,
            embeddings=data["embeddings"],
            false_faces=int(data["false_faces"]),
        )

    def put(self, sha256: str, result: VideoFaces) -> None:
        """Store a result; the entry appears whole or not at all."""
        final = self.entry(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=final.parent))
        try:
            for index, jpeg in zip(result.frame_indices, result.frames_jpeg):
                (tmp / f"frame_{index:06d}.jpg").write_bytes(jpeg)
            for i, face in enumerate(result.faces):
                (tmp / f"face_{i:03d}.jpg").write_bytes(face.crop_jpeg)
            np.savez(
                tmp / "faces.npz",
                frame_indices=np.asarray(result.frame_indices, dtype=np.int64),
                face_frames=np.asarray([f.frame_index for f in result.faces], dtype=np.int64),
                boxes=np.asarray([f.box for f in result.faces], dtype=np.int64).reshape(-1, 4),
                confidences=np.asarray([f.confidence for f in result.faces], dtype=np.float64),
                tracks=np.asarray([f.track for f in result.faces], dtype=np.int64),
                embeddings=result.embeddings,
                false_faces=np.int64(result.false_faces),
            )
            try:
                os.rename(tmp, final)
            except OSError:  # another job stored the same entry first: keep theirs
                return
            with open(self.dir / "computed.jsonl", "a") as log:
                log.write(json.dumps({"sha256": sha256, "time": time.time(), "pid": os.getpid()}) + "\n")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def computed(self) -> list[str]:
        """The sha256 of every entry this cache has computed, once per computation."""
        log = self.dir / "computed.jsonl"
        return [json.loads(line)["sha256"] for line in log.read_text().splitlines()] if log.exists() else []

