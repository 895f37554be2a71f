"""How sure each decision is: per person, how tight their faces are and how far the nearest other
person is; per row, whether its influencer was a close call, and why, so a reviewer knows where to
look.

Distances are the clusterer's own rule, average linkage: two people are as far apart as the mean
distance between their appearances (one person in one video, their mean embedding). A row is a
close call when

- *nearly tied*: another person (not marked "not an influencer") has at least `NEAR_TIE` of the
  main person's detections (a tie broken only by face area is one), or
- *near two people*: the main appearance is, on average, within `NEAR_MARGIN` times the
  same-person distance of another person's appearances, or its own person's other appearances are
  not clearly closer than the nearest other person's (the other is within `NEAR_MARGIN` times the
  own distance).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist

from influencer_kit.model import Appearance
from influencer_kit.people.grouping import main_person
from influencer_kit.people.linkage import pairwise
from influencer_kit.people.neighbours import EXACT_MAX, nearest
from influencer_kit.people.videos_table import people_in_video

NEAR_TIE = 0.8  # a runner-up with at least this share of the main person's detections is nearly tied
NEAR_MARGIN = 1.1  # a distance within this factor of the one that decides is near
DENSE_MAX = 3000  # appearances: up to this many, all distances are computed and every person compared
CANDIDATES = 16  # nearest appearances (and person centres) whose people are compared, above DENSE_MAX
ROW_COLUMNS = ["close_call", "close_call_reason"]
PERSON_COLUMNS = ["influencer", "face_spread", "nearest_influencer", "nearest_distance"]


@dataclass
class CloseCalls:
    """The run's close calls: a flag and reason per ProcessedVideos row, and each person's spread
    and nearest other person."""

    rows: pd.DataFrame  # ROW_COLUMNS, one row per videos row, same index
    people: pd.DataFrame  # PERSON_COLUMNS, one row per person

    def flag(self, videos: pd.DataFrame) -> pd.DataFrame:
        """The videos table with `close_call` and `close_call_reason` after its columns."""
        return pd.concat([videos, self.rows.set_axis(videos.index)], axis=1)


class Distances:
    """Average-linkage distances between the appearances of a run and its people.

    Up to `DENSE_MAX` appearances every distance is computed (an n x n matrix) and every person
    is compared. Above, only nearby people are: those of each appearance's `CANDIDATES` nearest
    appearances and of its person's nearest centres (`neighbours.nearest`, approximate above
    `exact_max`), so time and memory grow about linearly; a person nearer on average but with no
    appearance among those is not seen."""

    def __init__(self, appearances: list[Appearance], exact_max: int = EXACT_MAX) -> None:
        self.people = list(dict.fromkeys(a.person for a in appearances))
        self.index = {id(a): i for i, a in enumerate(appearances)}  # by identity: appearances hold arrays
        self.column = {p: k for k, p in enumerate(self.people)}  # person -> their number
        self.X = np.stack([a.embedding for a in appearances]).astype(float)
        self.person_of = np.asarray([self.column[a.person] for a in appearances])
        count = len(self.people)
        self.sizes = np.bincount(self.person_of, minlength=count).astype(float)
        self.members = np.split(np.argsort(self.person_of, kind="stable"), np.cumsum(self.sizes.astype(int))[:-1])
        centres = np.zeros((count, self.X.shape[1]))
        np.add.at(centres, self.person_of, self.X)
        centres /= self.sizes[:, None]
        gaps = np.linalg.norm(self.X - centres[self.person_of], axis=1)
        self.spread = np.bincount(self.person_of, weights=gaps, minlength=count) / self.sizes
        self.dense = len(self.X) <= DENSE_MAX
        if self.dense:
            member = np.zeros((count, len(self.X)))
            member[self.person_of, np.arange(len(self.X))] = 1.0
            self.to_people = pairwise(self.X) @ member.T / self.sizes  # mean distance to each person's appearances
            self.between_people = member @ self.to_people / self.sizes[:, None]
        else:
            self.near = nearest(self.X, self.X, CANDIDATES + 1, exact_max)[1]
            self.near_centres = nearest(centres, centres, CANDIDATES + 1, exact_max)[1]

    def candidates(self, person: int, rows: np.ndarray) -> np.ndarray:
        """The other people to compare with `person` (a number) for the appearances `rows`."""
        if self.dense:
            found = np.arange(len(self.people))
        else:
            near = self.near[rows].ravel()
            found = np.union1d(self.person_of[near[near >= 0]], self.near_centres[person][self.near_centres[person] >= 0])
        return found[found != person]

    def to_person(self, i: int, k: int) -> float:
        """Mean distance from appearance `i` to person `k`'s appearances (itself included)."""
        if self.dense:
            return float(self.to_people[i, k])
        return float(np.linalg.norm(self.X[self.members[k]] - self.X[i], axis=1).mean())

    def between(self, k: int, j: int) -> float:
        """Mean distance between person `k`'s and person `j`'s appearances."""
        if self.dense:
            return float(self.between_people[k, j])
        return float(cdist(self.X[self.members[k]], self.X[self.members[j]]).mean())

    def nearest_person(self, person: str) -> tuple[str, float]:
        """The other person nearest to `person` and their distance; ("", nan) when alone."""
        k = self.column[person]
        others = self.candidates(k, self.members[k])
        if not len(others):
            return "", float("nan")
        distance, j = min((self.between(k, int(j)), int(j)) for j in others)
        return self.people[j], distance

    def from_appearance(self, appearance: Appearance) -> tuple[float | None, list[tuple[float, str]]]:
        """The appearance's mean distance to its own person's other appearances (None when it is
        their only one), and to every other person compared, nearest first."""
        i = self.index[id(appearance)]
        k = self.column[appearance.person]
        own = None
        if self.sizes[k] > 1:  # its distance to itself is 0, so leave it out of the mean
            own = self.to_person(i, k) * self.sizes[k] / (self.sizes[k] - 1)
        others = sorted((self.to_person(i, int(j)), self.people[j]) for j in self.candidates(k, np.asarray([i])))
        return own, others


def assess(videos: pd.DataFrame, appearances: list[Appearance], same_person: float) -> CloseCalls:
    """The close calls of a run: `videos` is the ProcessedVideos table (its `influencer` and
    `video_sha256`), `same_person` the embedder's same-person distance."""
    if not appearances:
        rows = pd.DataFrame({"close_call": False, "close_call_reason": ""}, index=videos.index)
        return CloseCalls(rows, pd.DataFrame(columns=PERSON_COLUMNS))
    distances = Distances(appearances)
    by_video: dict[str, list[Appearance]] = defaultdict(list)
    for a in appearances:
        by_video[a.video].append(a)
    decided: dict[tuple[str, str], str] = {}  # (video, influencer) -> reason: rows repeating a video share it
    for key in dict.fromkeys(zip(videos["video_sha256"], videos["influencer"].fillna(""))):
        if key[1]:
            decided[key] = close_call_reason(by_video[key[0]], key[1], distances, same_person)
    reasons = [decided.get(key, "") for key in zip(videos["video_sha256"], videos["influencer"].fillna(""))]
    rows = pd.DataFrame({"close_call": [bool(r) for r in reasons], "close_call_reason": reasons}, index=videos.index)
    return CloseCalls(rows, person_table(distances))


def person_table(distances: Distances) -> pd.DataFrame:
    """Per person: `face_spread` (mean distance of their appearances to their mean embedding, 0
    with one appearance), `nearest_influencer` and `nearest_distance` (average linkage)."""
    records = []
    for k, person in enumerate(distances.people):
        nearest, distance = distances.nearest_person(person)
        records.append((person, float(distances.spread[k]), nearest, distance))
    return pd.DataFrame.from_records(records, columns=PERSON_COLUMNS)


def close_call_reason(video: list[Appearance], influencer: str, distances: Distances, same_person: float) -> str:
    """Why `influencer`, the main person of a video with these appearances, was a close call, in
    words ("; "-joined); empty when it was not."""
    main = main_person([a for a in video if a.person == influencer])
    reasons = [tie_reason(video, influencer), near_reason(main, distances, same_person)]
    return "; ".join(r for r in reasons if r)


def tie_reason(video: list[Appearance], influencer: str) -> str:
    """"nearly tied with ..." when the most present other person (one who may be an influencer)
    has at least `NEAR_TIE` of the main person's detections; else empty."""
    ignored = {a.person for a in video if a.ignored}
    people = {person: detections for person, detections, _ in people_in_video(video)}
    others = [(d, p) for p, d in people.items() if p != influencer and p not in ignored]
    if not others:
        return ""
    detections, other = max(others, key=lambda t: t[0])
    own = people[influencer]
    if detections < NEAR_TIE * own:
        return ""
    if detections == own:
        return f"nearly tied with {other} ({own} faces each; the larger faces decided)"
    return f"nearly tied with {other} ({detections} faces against {own})"


def near_reason(main: Appearance, distances: Distances, same_person: float) -> str:
    """"face ... from ..." when the main appearance is near another person (within `NEAR_MARGIN`
    of the same-person distance) or barely nearer its own person than the next; else empty."""
    own, others = distances.from_appearance(main)
    if not others:
        return ""
    distance, other = others[0]
    if distance < same_person * NEAR_MARGIN:
        return f"face {distance:.2f} from {other} (same-person distance {same_person:.2f})"
    if own is not None and distance < own * NEAR_MARGIN:
        return f"face {own:.2f} from {main.person}'s other faces, only {distance:.2f} from {other}"
    return ""
