"""The plugin API: everything a plugin imports, built-in or third-party.

    from influencer_kit.plugin import hookimpl, Component, DetectorConfig, Face

A plugin is a module registered in the `influencer_kit` entry-point group whose `@hookimpl`
functions (the hooks are in `influencer_kit.plugin.hookspecs`) return what it offers:
`ik_components` detectors, embedders and clusterers (`Component`), `ik_ranking_methods` ways to
score influencers (`RankingMethod`), `ik_link_sources` rules for video links (`LinkSource`),
`ik_executors` places to run the per-video work (`Executor`).
Each offer must pass its conformance check (`check_component`, `check_ranking_method`,
`check_link_source`). A plugin raises `ConfigError` for a setting that cannot work here (missing
weights, say: the run stops with that one line) and may call `quiet_libraries()` before importing
TensorFlow. A model's session runs on `worker_threads()` threads: the worker's share of the cores.
"""
from influencer_kit import hookimpl
from influencer_kit.errors import ConfigError, MissingWeightsError
from influencer_kit.model import Face
from influencer_kit.plugin.components import (
    ClusterConfig,
    Clusterer,
    Component,
    ComponentConfig,
    Detector,
    DetectorConfig,
    Distance,
    Embedder,
    EmbedderConfig,
    same_person_option,
)
from influencer_kit.plugin.executors import Analyser, Executor
from influencer_kit.plugin.link_sources import LinkRequest, LinkSource
from influencer_kit.plugin.ranking_methods import RankingMethod, RankingParams
from influencer_kit.plugin.testing import check_component, check_link_source, check_ranking_method
from influencer_kit.quiet import quiet_libraries
from influencer_kit.threads import threads as worker_threads

__all__ = [
    "Analyser",
    "Executor",
    "ClusterConfig",
    "Clusterer",
    "Component",
    "ComponentConfig",
    "ConfigError",
    "MissingWeightsError",
    "Detector",
    "DetectorConfig",
    "Distance",
    "Embedder",
    "EmbedderConfig",
    "Face",
    "LinkRequest",
    "LinkSource",
    "RankingMethod",
    "RankingParams",
    "check_component",
    "check_link_source",
    "check_ranking_method",
    "hookimpl",
    "quiet_libraries",
    "same_person_option",
    "worker_threads",
]
