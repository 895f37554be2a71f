"""From faces to people: the same person across one video's frames, then across videos.

Faces inside one video are first grouped into *appearances* (average-linkage clustering of their
embeddings, cut at `within_video_distance`). Each appearance's mean embedding is then clustered
across videos by the configured clusterer. A point the clusterer calls noise (-1) is a person of
their own: someone seen once is still an influencer, never dropped.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering

from influencer_kit.components import Clusterer


@dataclass
class Appearance:
    """One person inside one video."""

    video: str  # sha256 of the video
    face_ids: list[int]  # indices into that video's faces
    embedding: np.ndarray  # mean embedding of those faces
    detections: int
    area: int  # total face area, pixels
    person: str = ""  # influencer id, set by `identify` (or by the registry of known people)
    name: str = ""  # the person's display name, from the registry
    ignored: bool = False  # marked "not an influencer" in the registry: never a video's main person

    @property
    def presence(self) -> tuple[int, int]:
        """How much this person is in the video: detections first, then face area."""
        return self.detections, self.area


def group_within_video(video: str, embeddings: np.ndarray, areas: list[int], threshold: float) -> list[Appearance]:
    """Appearances in one video, largest presence first."""
    if len(embeddings) == 0:
        return []
    if len(embeddings) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        labels = AgglomerativeClustering(
            n_clusters=None, distance_threshold=threshold, linkage="average"
        ).fit_predict(embeddings)
    groups = []
    for label in np.unique(labels):
        ids = [int(i) for i in np.flatnonzero(labels == label)]
        groups.append(Appearance(
            video=video,
            face_ids=ids,
            embedding=embeddings[ids].mean(axis=0),
            detections=len(ids),
            area=int(sum(areas[i] for i in ids)),
        ))
    return sorted(groups, key=lambda a: a.presence, reverse=True)


def cluster_appearances(appearances: list[Appearance], clusterer: Clusterer) -> np.ndarray:
    """A person label per appearance; noise points each become a person of their own."""
    if not appearances:
        return np.zeros(0, dtype=int)
    labels = np.asarray(clusterer.fit_predict(np.stack([a.embedding for a in appearances])), dtype=int)
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


def main_person(appearances: list[Appearance]) -> Appearance | None:
    """The video's influencer: the person with the most presence (detections, then face area)."""
    return max(appearances, key=lambda a: a.presence, default=None)
