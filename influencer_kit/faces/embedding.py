"""From chosen faces to the embeddings the core compares: the configured embedder built (its faces
mirrored and averaged when `embedder.mirror`), and, for an embedder that fuses several
(`influencer_kit.faces.fused`: its `members`, each a cache key and an embedder, and `combine`, which
joins their prepared embeddings), each member's embeddings kept in the face cache on their own, so a
run adding a member embeds only with that member (`MemberMemo`).

Mirror averaging: a model such as dlib's is not mirror-invariant, and posts filmed with a front
camera are often mirrored, so the same face can embed differently in two posts. With `mirror`, each
face is embedded as it is and as in a mirror, and the two (as `Distance.prepare` makes them) are
averaged: a face and its mirror image then embed the same.
"""
from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from influencer_kit.acquire.download import hash_file
from influencer_kit.atomic import write_atomic
from influencer_kit.faces.cache import settings_key
from influencer_kit.model import Face
from influencer_kit.plugin import manager
from influencer_kit.plugin.components import Embedder

Place = tuple[int, int, int, int, int]  # a face's frame number and box: where it is in its video


def mirror_face(face: Face, width: int) -> Face:
    """The face as it is in the frame mirrored left to right (`width` pixels wide): its box moved,
    its landmarks moved and swapped so that the first eye is still the one on the image's left."""
    x, y, w, h = face.box
    landmarks = None
    if face.landmarks is not None:
        (lx, ly), (rx, ry), nose, (mlx, mly), (mrx, mry) = face.landmarks
        flip = width - 1.0
        landmarks = ((flip - rx, ry), (flip - lx, ly), (flip - nose[0], nose[1]), (flip - mrx, mry), (flip - mlx, mly))
    return Face((width - x - w, y, w, h), face.confidence, landmarks)


FrameFaces = tuple[np.ndarray, list[Face]]  # an RGB frame and faces in it to embed


def embed_many(embedder: Embedder, items: list[FrameFaces]) -> list[np.ndarray]:
    """Each frame's faces' embeddings, as `embed` gives them frame by frame: in one batch across the
    frames where the embedder offers `embed_frames` (the shipped ONNX models do), else frame by frame."""
    batched = getattr(embedder, "embed_frames", None)
    if batched is not None:
        return batched(items)
    return [embedder.embed(frame, faces) for frame, faces in items]


class Mirrored:
    """An embedder whose every face is embedded as it is and mirrored, the two averaged."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.distance = embedder.distance

    def __getattr__(self, name: str) -> Any:  # the wrapped embedder's other attributes (`typical_different`)
        if name == "embedder":
            raise AttributeError(name)
        return getattr(self.embedder, name)

    def fit(self) -> "Mirrored":
        self.embedder.fit()
        return self

    def embed(self, frame: np.ndarray, faces: list[Face]) -> np.ndarray:
        return self.embed_frames([(frame, faces)])[0]

    def embed_frames(self, items: list[FrameFaces]) -> list[np.ndarray]:
        """The frames' faces as they are and mirrored, all in one batch where the embedder batches."""
        flipped = [(np.ascontiguousarray(frame[:, ::-1]), [mirror_face(f, frame.shape[1]) for f in faces])
                   for frame, faces in items]
        vectors = [self.distance.prepare(v) for v in embed_many(self.embedder, items + flipped)]
        return [(as_is + mirrored) / 2.0 for as_is, mirrored in zip(vectors[: len(items)], vectors[len(items):])]


def build_embedder(config: Mapping[str, Any]) -> Any:
    """The embedder a config names, not loaded yet (`fit` loads it), mirrored when `mirror` is set.
    An embedder of members applies `mirror` to each member itself."""
    embedder = manager.build("embedder", config)
    if config.get("mirror") and getattr(embedder, "members", None) is None:
        return Mirrored(embedder)
    return embedder


def embed_prepared(embedder: Embedder, frame: np.ndarray, faces: list[Face]) -> np.ndarray:
    """Embeddings of the faces of one RGB frame as the core compares them (`Distance.prepare`)."""
    return embedder.distance.prepare(embedder.embed(frame, faces))


def embed_many_prepared(embedder: Embedder, items: list[FrameFaces]) -> list[np.ndarray]:
    """`embed_many`, as the core compares the embeddings (`Distance.prepare`)."""
    return [embedder.distance.prepare(v) for v in embed_many(embedder, items)]


def member_key(config: Mapping[str, Any]) -> str:
    """The key a member embedder's cached embeddings are stored under: its config, its plugin's
    release and the memo's format."""
    release = manager.provider("embedder", str(config["name"])).release
    return settings_key({"member": dict(config), "release": release})


SHA256 = re.compile(r"[0-9a-f]{64}")


def video_id(path: str) -> str:
    """The video's sha256: its file name in the download cache (`videos/<sha[:2]>/<sha><ext>`), or
    its bytes hashed for a file elsewhere."""
    stem = Path(path).name.split(".")[0]
    return stem if SHA256.fullmatch(stem) else hash_file(Path(path))[0]


class MemberMemo:
    """One video's embeddings by each member of a fusion, by place (frame number and box), read from
    and written to `<root>/members/<member key>/<sha[:2]>/<sha>.npz` (`root`: the cache folder, beside
    the face cache's `faces/`)."""

    def __init__(self, root: Path, sha256: str) -> None:
        self.root, self.sha256 = Path(root), sha256
        self.known: dict[str, dict[Place, np.ndarray]] = {}
        self.added: set[str] = set()

    def file(self, key: str) -> Path:
        return self.root / "members" / key / self.sha256[:2] / f"{self.sha256}.npz"

    def _load(self, key: str) -> dict[Place, np.ndarray]:
        if key not in self.known:
            self.known[key] = {}
            if self.file(key).exists():
                data = np.load(self.file(key))
                for place, vector in zip(data["places"], data["vectors"]):
                    self.known[key][tuple(int(v) for v in place)] = vector
        return self.known[key]

    def vectors(self, key: str, member: Embedder, items: list[FrameFaces], places: list[list[Place]]
                ) -> list[np.ndarray]:
        """The member's prepared embeddings of each frame's faces (`places`: theirs, frame by frame):
        those it has, the rest computed in one batch."""
        known = self._load(key)
        missing = [[i for i, place in enumerate(frame_places) if place not in known] for frame_places in places]
        if any(missing):
            wanted = [(frame, [faces[i] for i in gap]) for (frame, faces), gap in zip(items, missing) if gap]
            computed = iter(embed_many_prepared(member, wanted))
            for frame_places, gap in zip(places, missing):
                if gap:
                    for i, vector in zip(gap, next(computed)):
                        known[frame_places[i]] = vector
            self.added.add(key)
        return [np.stack([known[place] for place in frame_places]) for frame_places in places]

    def save(self) -> None:
        """Write the members whose embeddings grew, each file whole or not at all."""
        for key in self.added:
            places = list(self.known[key])
            buffer = io.BytesIO()
            np.savez(buffer, places=np.asarray(places, dtype=np.int64).reshape(-1, 5),
                     vectors=np.stack([self.known[key][p] for p in places]))
            self.file(key).parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.file(key), buffer.getvalue())
        self.added.clear()


def embed_video_faces(embedder: Any, items: list[FrameFaces], places: list[list[Place]],
                      memo: MemberMemo | None) -> list[np.ndarray]:
    """Embeddings of the faces of a video's frames as the core compares them, in one batch where
    the embedder batches; a fusion's members' from `memo` where it has them (`places`: where each
    face is, frame by frame)."""
    members = getattr(embedder, "members", None)
    if memo is None or members is None:
        return embed_many_prepared(embedder, items)
    parts = [memo.vectors(key, member, items, places) for key, member in members]
    return [embedder.combine(list(per_member)) for per_member in zip(*parts)]
