"""A run and the registry: refuse a registry of another embedder before any work (`prepare`),
then, in the people stage, match each appearance against the known people, cluster the rest into
new people numbered after the highest id, and remember everyone's reference faces (`identify`).

An appearance whose face the registry holds already (a rerun of a video) is that face's person,
as the corrections left it, without matching. Among the rest, two appearances nearest to people
said to be different (`corrections.different`) are never clustered into one new person.

The people stage reads, decides and writes in one transaction, so two runs on one registry
take turns: the second sees the first one's new people and matches them instead of adding them
again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from omegaconf import DictConfig, OmegaConf

from influencer_kit.errors import require
from influencer_kit.model import Appearance, RegistrySummary, VideoFaces
from influencer_kit.people.grouping import best_face, cluster_appearances, identify
from influencer_kit.plugin.components import Clusterer, or_default
from influencer_kit.registry.corrections import describe
from influencer_kit.registry.embedders import check_embedder
from influencer_kit.people.neighbours import EXACT_MAX
from influencer_kit.registry.database import SQLITE_PREFIX, Location, location, shown
from influencer_kit.registry.match import MatchRule, match
from influencer_kit.registry.store import Registry

log = logging.getLogger(__name__)

FILE_NAME = "registry.db"
CROP_MARGIN = 0.25  # the margin `faces.crop` leaves around a face, as a share of its size


@dataclass
class RegistryConfig:
    """`registry`: known people: ids, names and corrections that persist across runs (README: Known
    influencers)."""

    enabled: bool = True
    uri: str | None = None  # sqlite:///PATH, a path, or postgresql://USER@HOST/DB (a team's shared registry);
    # null: registry.db beside the MLflow SQLite store (tracking.uri)
    match_distance: float | None = None  # an appearance is a known person when this close to one of their
    # reference faces (null: the embedder's same-person distance)...
    margin: float = 0.05  # ...and every other person is at least this much farther; else it is clustered afresh
    exact_max: int = EXACT_MAX  # above this many appearances and reference faces, the nearest faces are found approximately
    reembed: bool = False  # true: embed the registry's reference faces with this run's embedder (another model)
    in_sweeps: bool = False  # a sweep's (-m) jobs try settings: they neither read nor change the registry

    def __post_init__(self) -> None:
        require(self.match_distance is None or self.match_distance > 0, "registry.match_distance",
                "a distance above 0, or null (the embedder's)", self.match_distance)
        require(self.margin >= 0, "registry.margin", "a distance, 0 or more", self.margin)
        require(self.exact_max >= 0, "registry.exact_max", "a number of faces, 0 or more", self.exact_max)
        if self.uri:
            location(self.uri, Path.cwd())  # an unknown scheme is refused here, before any work


def registry_path(uri: str | None, tracking_uri: str | None, base: Path | None = None) -> Location:
    """Where the registry lives: `registry.uri` (`sqlite:///PATH`, a path, or a `postgresql://` URI),
    else `registry.db` beside the MLflow SQLite store, else in the current folder. Relative paths
    are from `base` (default: the current folder)."""
    base = Path.cwd() if base is None else Path(base)
    if uri:
        return location(uri, base)
    if tracking_uri and tracking_uri.startswith(SQLITE_PREFIX):
        return (base / Path(tracking_uri.removeprefix(SQLITE_PREFIX)).expanduser()).resolve().parent / FILE_NAME
    return (base / FILE_NAME).resolve()


def in_sweep() -> bool:
    """True inside a Hydra multirun (`-m`), whose jobs try settings rather than decide who is who."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


@dataclass(frozen=True)
class KnownPeople:
    """The registry as one run uses it."""

    path: Location
    embedder_key: str
    rule: MatchRule

    def identify(self, appearances: list[Appearance], faces: dict[str, VideoFaces],
                 clusterer: Clusterer) -> RegistrySummary:
        """Set each appearance's person (known, or new), name and ignored flag, and store every
        appearance as a reference face of its person."""
        with Registry(self.path) as registry, registry.write():
            owners, refs = registry.references(self.embedder_key)
            stored = registry.owners_by_place()
            X = np.stack([a.embedding for a in appearances]) if appearances else np.zeros((0, 0))
            decisions = match(X, refs, owners, self.rule)
            for appearance, decision in zip(appearances, decisions):
                known = stored.get(place(appearance, faces[appearance.video]))
                appearance.person = registry.person(known).id if known else decision.person
            matched = [a.person for a in appearances if a.person]
            unknown = [(a, d) for a, d in zip(appearances, decisions) if not a.person]
            new_people = add_new_people(registry, [a for a, _ in unknown], clusterer,
                                        kept_apart([d.nearest for _, d in unknown], registry.different()))
            for appearance in appearances:
                remember(registry, appearance, faces[appearance.video], self.embedder_key)
                person = registry.person(appearance.person)
                appearance.name, appearance.ignored = person.name, person.ignored
            return RegistrySummary(
                shown(self.path), matched_people=len(set(matched)), new_people=new_people,
                matched_appearances=len(matched),
                ambiguous_appearances=sum(d.ambiguous for _, d in unknown),
                corrections_new=[describe(c.action, c.args) for c in registry.count_run()],
                corrections_total=len(registry.corrections()))


def kept_apart(nearest: list[str], different: dict[frozenset[str], int]) -> np.ndarray:
    """Pairs (indices) of appearances whose nearest known people were said to be different."""
    by_person: dict[str, list[int]] = {}
    for i, person in enumerate(nearest):
        by_person.setdefault(person, []).append(i)
    pairs = [(i, j) for pair in different if pair <= by_person.keys()
             for i in by_person[min(pair)] for j in by_person[max(pair)]]
    return np.asarray(pairs, dtype=int).reshape(-1, 2)


def add_new_people(registry: Registry, unknown: list[Appearance], clusterer: Clusterer,
                   apart: np.ndarray | None = None) -> int:
    """Cluster the appearances nobody known matched (never joining an `apart` pair), and give each
    cluster the next free id, in order of first appearance; how many people were added."""
    labels = cluster_appearances(unknown, clusterer, apart)
    first = registry.next_number()
    identify(unknown, labels, first=first)
    count = len(set(labels.tolist()))
    for number in range(first, first + count):
        registry.add_person(number)
    return count


def remember(registry: Registry, appearance: Appearance, video: VideoFaces, embedder_key: str) -> None:
    """Store an appearance as a reference face of its person: its best face (largest, surest) crop,
    and the appearance's mean embedding."""
    best = best_face(appearance, video)
    face = video.faces[best]
    face_id = registry.add_face(appearance.person, appearance.video, face.frame_index, face.box,
                                box_in_crop(face.box), video.crop_jpeg(best))
    registry.add_embedding(face_id, embedder_key, appearance.embedding)


def place(appearance: Appearance, video: VideoFaces) -> tuple[str, int, tuple[int, ...]]:
    """Where an appearance's reference face was seen, (video, frame, box): a stored face's key."""
    face = video.faces[best_face(appearance, video)]
    return appearance.video, face.frame_index, tuple(int(v) for v in face.box)


def box_in_crop(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """Where the face is inside its crop (`faces.crop`: the box plus a margin, cut at the frame's
    top and left edges)."""
    x, y, w, h = box
    return x - max(0, x - int(w * CROP_MARGIN)), y - max(0, y - int(h * CROP_MARGIN)), w, h


def prepare(cfg: DictConfig, same_person: float) -> KnownPeople | None:
    """The registry this run uses, checked against the run's embedder (re-embedded first when
    `registry.reembed`); None when the registry is off, or in a sweep's job (unless
    `registry.in_sweeps`). `registry.match_distance` left at null is `same_person`, the embedder's
    same-person distance. Raises `RegistryError` for a registry of another embedder."""
    settings = cfg.registry
    if not settings.enabled or (in_sweep() and not settings.in_sweeps):
        return None
    path = registry_path(settings.uri, cfg.tracking.get("uri"))
    with Registry(path) as registry:
        key = check_embedder(registry, OmegaConf.to_container(cfg.embedder, resolve=True), bool(settings.reembed))
        log.info("registry of known people: %s (%d people)", shown(path), len(registry.people()))
    rule = MatchRule(or_default(settings.match_distance, same_person), float(settings.margin), int(settings.exact_max))
    return KnownPeople(path, key, rule)
