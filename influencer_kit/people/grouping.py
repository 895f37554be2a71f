"""From faces to people: the same person across one video's frames, then across videos.

Faces inside one video are first grouped into *appearances* (average-linkage clustering of their
embeddings, cut at `within_video_distance`, with the faces of one track kept together and two faces
of one frame kept apart). Each appearance's mean embedding is then clustered across videos by the
configured clusterer; a cluster holding two appearances seen in one frame is split. A point the
clusterer calls noise (-1) is a person of their own: someone seen once is still an influencer,
never dropped.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from influencer_kit.errors import require
from influencer_kit.model import Appearance, FaceRecord, VideoFaces
from influencer_kit.people.linkage import average_linkage, split_apart
from influencer_kit.plugin.components import Clusterer


@dataclass
class PeopleConfig:
    """`people`: how one video's faces become its people."""

    within_video_distance: float | None = None  # faces of one video closer than this on average are one
    # person; null: the embedder's same-person distance

    def __post_init__(self) -> None:
        require(self.within_video_distance is None or self.within_video_distance > 0,
                "people.within_video_distance", "a distance above 0, or null (the embedder's)",
                self.within_video_distance)


def pairs_sharing(keys: list, also: Callable[[int, int], bool] = lambda a, b: True) -> np.ndarray:
    """Pairs of items (indices) with equal keys for which `also` holds; shape (m, 2)."""
    by_key: dict = {}
    for i, key in enumerate(keys):
        by_key.setdefault(key, []).append(i)
    pairs = [(a, b) for items in by_key.values() for k, a in enumerate(items) for b in items[k + 1:] if also(a, b)]
    return np.asarray(pairs, dtype=int).reshape(-1, 2)


def group_within_video(video: str, embeddings: np.ndarray, faces: list[FaceRecord], threshold: float) -> list[Appearance]:
    """Appearances in one video, largest presence first: faces of one track together, two faces of
    one frame apart, the rest by average linkage of their embeddings cut at `threshold`."""
    if len(embeddings) == 0:
        return []
    labels = average_linkage(embeddings, threshold, start=np.asarray([f.track for f in faces]),
                             apart=pairs_sharing([f.frame_index for f in faces]))
    groups = []
    for label in np.unique(labels):
        ids = [int(i) for i in np.flatnonzero(labels == label)]
        groups.append(Appearance(
            video=video,
            face_ids=ids,
            embedding=template([faces[i] for i in ids], embeddings[ids]),
            detections=len(ids),
            area=int(sum(faces[i].area for i in ids)),
            frames=frozenset(faces[i].frame_index for i in ids),
        ))
    return sorted(groups, key=lambda a: a.presence, reverse=True)


def template(faces: list[FaceRecord], embeddings: np.ndarray) -> np.ndarray:
    """One person's embedding in one video: the mean of the embeddings of their faces that were
    embedded, each weighed by its quality (`faces.quality`: size, sharpness, frontal pose,
    confidence); faces that only carry a track's embedding do not count twice."""
    own = [i for i, f in enumerate(faces) if f.embedded] or list(range(len(faces)))
    weights = np.asarray([max(faces[i].quality, 1e-6) for i in own])
    return (weights[:, None] * embeddings[own]).sum(axis=0) / weights.sum()


def seen_together(appearances: list[Appearance]) -> np.ndarray:
    """Pairs of appearances (indices) of one video that share a frame: two people, never one."""
    return pairs_sharing([a.video for a in appearances],
                         lambda i, j: bool(appearances[i].frames & appearances[j].frames))


def cluster_appearances(appearances: list[Appearance], clusterer: Clusterer,
                        apart: np.ndarray | None = None) -> np.ndarray:
    """A person label per appearance: the clusterer's, with any cluster holding two appearances
    seen in one frame, or an `apart` pair (indices; people said to be different), split; noise
    points each become a person of their own."""
    if not appearances:
        return np.zeros(0, dtype=int)
    X = np.stack([a.embedding for a in appearances])
    never = seen_together(appearances) if apart is None else np.vstack([seen_together(appearances), apart])
    labels = split_apart(X, np.asarray(clusterer.fit_predict(X), dtype=int), never)
    next_label = labels.max(initial=-1) + 1
    for i in np.flatnonzero(labels == -1):
        labels[i] = next_label
        next_label += 1
    return labels


def person_id(number: int, prefix: str = "influencer") -> str:
    """`influencer_004` for 4."""
    return f"{prefix}_{number:03d}"


def identify(appearances: list[Appearance], labels: np.ndarray, prefix: str = "influencer", first: int = 1) -> None:
    """Name people `influencer_001`... in order of first appearance (appearances come in row order,
    largest presence first within a video), and write the id on each appearance. Numbers start at
    `first` (the registry's next free number)."""
    ids: dict[int, str] = {}
    for appearance, label in zip(appearances, labels):
        if label not in ids:
            ids[label] = person_id(first + len(ids), prefix)
        appearance.person = ids[label]


def best_face(appearance: Appearance, video: VideoFaces) -> int:
    """The index of the appearance's best face (`FaceRecord.quality`; the earliest on a tie)."""
    return max(appearance.face_ids, key=lambda i: (video.faces[i].quality, -i))


def representative_faces(appearances: list[Appearance], faces: dict[str, VideoFaces]) -> dict[str, Appearance]:
    """Each person's appearance holding their best face (`best_face`), which shows them in every
    output: the first such appearance on a tie."""
    best: dict[str, tuple[float, Appearance]] = {}
    for appearance in appearances:
        video = faces[appearance.video]
        quality = video.faces[best_face(appearance, video)].quality
        if appearance.person not in best or quality > best[appearance.person][0]:
            best[appearance.person] = (quality, appearance)
    return {person: appearance for person, (_, appearance) in best.items()}


def main_person(appearances: list[Appearance]) -> Appearance | None:
    """The video's influencer: the person with the most presence (detections, then face area)."""
    return max(appearances, key=lambda a: a.presence, default=None)
