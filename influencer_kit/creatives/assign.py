"""The creatives stage, between people and ranking: each distinct video's creative id, from the
videos' fingerprints, the people seen in them and a reviewer's corrections in the registry."""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from influencer_kit.creatives.grouping import CreativesConfig, Links, group_videos, join
from influencer_kit.model import Appearance, Fingerprint
from influencer_kit.registry.store import Registry

NO_FRAMES = Fingerprint(np.zeros(0, np.float32), np.zeros((0, 2), np.uint64))  # a video without a fingerprint


def creative_id(number: int) -> str:
    """`creative_0007` for the creative numbered 6 (0-based, by first row)."""
    return f"creative_{number + 1:04d}"


def reviewed_links(registry_path: Path | None, videos: list[str]) -> Links:
    """The registry's corrections about these videos (sha256, in row order), as index pairs."""
    if registry_path is None:
        return Links()
    with Registry(registry_path) as registry:
        said = registry.creative_links()
    index = {sha: i for i, sha in enumerate(videos)}
    pairs = {same: frozenset(tuple(sorted((index[a], index[b]))) for (a, b), s in said.items()
                             if s == same and a in index and b in index) for same in (True, False)}
    return Links(same=pairs[True], apart=pairs[False])


def find_creatives(videos: list[str], fingerprints: dict[str, Fingerprint], appearances: list[Appearance],
                   config: CreativesConfig, registry_path: Path | None = None) -> dict[str, str]:
    """Each video's (sha256, in row order) creative id, numbered by first row: variants grouped
    when `config.enabled`, else every video a creative of its own; the registry's corrections
    (`registry_path`, None without a registry) applied on top."""
    people: dict[str, set[str]] = defaultdict(set)
    for appearance in appearances:
        people[appearance.video].add(appearance.person)
    links = reviewed_links(registry_path, videos)
    labels = (group_videos([fingerprints.get(sha, NO_FRAMES) for sha in videos],
                           [frozenset(people[sha]) for sha in videos], config, links)
              if config.enabled else join(len(videos), [], lambda i, j: False, links))
    return {sha: creative_id(int(label)) for sha, label in zip(videos, labels)}
