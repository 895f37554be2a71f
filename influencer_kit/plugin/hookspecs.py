"""The contract between influencer-kit and its plugins. Every hook a plugin may implement is here;
each returns a list of what it offers and the core merges them (a duplicate name is an error)."""
from __future__ import annotations

import pluggy

from influencer_kit import PROJECT

hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec
def ik_components() -> list:
    """Return the components this plugin brings, a list of `influencer_kit.plugin.Component`.

    Each component has a kind (`detector`, `embedder` or `cluster`), a name unique within its kind
    (the value users write in `detector=<name>`), a factory called with the whole config (an
    instance of the config dataclass), and that config dataclass (a subclass of the kind's
    `DetectorConfig`, `EmbedderConfig` or `ClusterConfig`) whose defaults are the component's only
    defaults. The core stores that dataclass in Hydra's ConfigStore under the kind.
    """


@hookspec
def ik_ranking_methods() -> list:
    """Return the ranking methods this plugin brings, a list of `influencer_kit.plugin.RankingMethod`,
    each chosen with `ranking.method=<name>`."""


@hookspec
def ik_link_sources() -> list:
    """Return the video-link rules this plugin brings, a list of `influencer_kit.plugin.LinkSource`,
    in the order they are asked. Plugins are asked in pluggy's order: the built-ins are registered
    `trylast` (a page for yt-dlp, a Google Drive link, then any http(s) link), so every other
    plugin's sources are asked first."""
