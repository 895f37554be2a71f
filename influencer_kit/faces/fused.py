"""`embedder=fused`: several embedders as one (`embedder.members=[dlib,faceres]`).

Each member embeds every face; its embeddings (as `Distance.prepare` makes them) are divided by its
`typical_different`, the median distance between two different people in its own space, and by
sqrt(number of members), then put side by side. The Euclidean distance between two fused vectors
is then the root mean square of the members' distances, each in units of its typical
different-person distance: two models that fail on different faces outvote each other's blind
spots, and a threshold in these units means the same whichever models are fused.

The core keeps each member's embeddings in the face cache on their own (`faces.embedding`), so
adding a member to a run embeds with that member only. `embedder.mirror` applies to every member.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from influencer_kit import hookimpl
from influencer_kit.errors import require
from influencer_kit.faces.embedding import FrameFaces, build_embedder, embed_many_prepared, member_key
from influencer_kit.model import Face
from influencer_kit.plugin.components import Component, Distance, EmbedderConfig
from influencer_kit.plugin.manager import get_component


@dataclass
class FusedConfig(EmbedderConfig):
    name: str = "fused"
    members: list[str] = field(default_factory=lambda: ["dlib", "faceres"])  # embedders, each with its defaults
    mirror: bool = True  # each member embeds every face and its mirror image, averaged (posts are often mirrored)

    def __post_init__(self) -> None:
        require(len(self.members) >= 1 and "fused" not in self.members, "embedder.members",
                "a list of one or more embedders other than fused", self.members)
        require(len(set(self.members)) == len(self.members), "embedder.members", "embedders named once each",
                self.members)


class FusedEmbedder:
    """The members' scaled embeddings side by side (module docstring)."""

    # Same person below this root mean square of the members' distances in units of their typical
    # different-person distance. Chosen, for dlib + faceres with mirror averaging, on the sets no
    # reported figure is judged on: the real-footage `tune` part was right (BCubed F 1.000, every person
    # found) from 0.52 to 0.72, `ads_tune` from 0.52 to 0.76, and the videos built from the photos of
    # ../shared/faces (one person photographed years apart) from 0.64 to 0.84; 0.68 is the middle of
    # 0.64-0.72, where all three are right (docs/real-footage.md).
    distance = Distance("euclidean", 0.68)

    def __init__(self, config: FusedConfig) -> None:
        self.config = config
        configs = [{"name": name, "mirror": config.mirror} for name in config.members]
        self.members = [(member_key(c), build_embedder(c)) for c in configs]
        self.scales = [1.0 / (typical_different(m) * math.sqrt(len(configs))) for _, m in self.members]

    def fit(self) -> "FusedEmbedder":
        for _, member in self.members:
            member.fit()
        return self

    def combine(self, parts: list[np.ndarray]) -> np.ndarray:
        """The members' prepared embeddings of the same faces, as one fused embedding per face."""
        return np.hstack([np.asarray(p, dtype=np.float32) * s for p, s in zip(parts, self.scales)]).astype(np.float32)

    def embed(self, frame: np.ndarray, faces: list[Face]) -> np.ndarray:
        return self.embed_frames([(frame, faces)])[0]

    def embed_frames(self, items: list[FrameFaces]) -> list[np.ndarray]:
        """Each member embeds all the frames' faces in one batch; then each frame's are combined."""
        parts = [embed_many_prepared(member, items) for _, member in self.members]
        return [self.combine(list(per_member)) for per_member in zip(*parts)]


def typical_different(member: object) -> float:
    """The member's median different-person distance, as the core compares its embeddings; an
    embedder that does not state one is taken to put different people at 1.5x its same-person
    distance."""
    stated = getattr(member, "typical_different", None)
    return float(stated) if stated else 1.5 * member.distance.threshold


def members_present(config: FusedConfig) -> bool:
    """Whether every member's weights are on this machine (a member not installed is refused when
    the fusion is built, naming it)."""
    members = [get_component("embedder", name) for name in config.members]
    return all(m.weights_present(m.config(name=m.name, mirror=config.mirror)) for m in members)


@hookimpl
def ik_components() -> list[Component]:
    return [Component(kind="embedder", name="fused", factory=FusedEmbedder, config=FusedConfig,
                      description="several embedders as one: their distances, each in units of its "
                                  "typical different-person distance, combined",
                      weights_present=members_present)]
