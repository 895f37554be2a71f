"""The whole config as typed dataclasses stored in Hydra's ConfigStore, and its check.

Each stage owns the dataclass of its settings (`FetchConfig` in acquire/download.py, `RankingConfig`
in ranking/ranking.py...), with every default written there once; `Config` gathers them under
their keys, and `register_configs` stores it (as `schema`, the first entry of conf/config.yaml's
defaults list) with each group's options and the plugins' components. Hydra then refuses a wrong
type or an unknown key while it composes the config, and `check` runs every dataclass's own checks
(ranges, choices) before any work. `explain` turns Hydra's and OmegaConf's errors into one line.
"""
from __future__ import annotations

import re
import typing
from dataclasses import dataclass, field, fields, is_dataclass

from hydra.core.config_store import ConfigStore
from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException
from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, MissingMandatoryValue, OmegaConfBaseException

from influencer_kit.acquire.download import FetchConfig
from influencer_kit.creatives.grouping import CreativesConfig
from influencer_kit.errors import ConfigError, require
from influencer_kit.execution.task import ExecutorConfig
from influencer_kit.experiment.mlflow_run import TrackingConfig
from influencer_kit.faces.analyse import FRAMES_PER_VIDEO, PerVideoConfig
from influencer_kit.inputs.sheet import DataConfig
from influencer_kit.outputs.folders import KEEP
from influencer_kit.people.grouping import PeopleConfig
from influencer_kit.plugin import manager
from influencer_kit.plugin.executors import executors
from influencer_kit.plugin.components import ClusterConfig, DetectorConfig, EmbedderConfig
from influencer_kit.ranking.ranking import RankingConfig
from influencer_kit.registry.known import RegistryConfig


@dataclass
class CacheConfig:
    """`cache`: where downloads and the face cache live; they survive runs."""

    dir: str = "${oc.env:IK_CACHE_DIR,'~/.cache/influencer-kit'}"


@dataclass
class OutputConfig:
    """`output`: where the tables, folders and report go."""

    dir: str = "${hydra:runtime.output_dir}"  # default: Hydra's run folder, outputs/<date>/<time>/
    progress: bool = True  # progress bars for downloads and analysis
    frames: str = "all"  # extracted_frames_videos/: all, influencer (frames showing the video's influencer), none
    faces: str = "all"  # detected_faces_videos/, face_clusters/: all, influencer (each video's influencer's), none

    def __post_init__(self) -> None:
        for key in ("frames", "faces"):
            require(getattr(self, key) in KEEP, f"output.{key}", f"one of {', '.join(KEEP)}", getattr(self, key))


@dataclass
class Config:
    """Every setting: the groups (`data=demo`, `ranking=shrunk`...) pick an option of their
    dataclass; the rest are set by key (`fetch.retries=5`)."""

    data: DataConfig = MISSING
    detector: DetectorConfig = MISSING
    embedder: EmbedderConfig = MISSING
    cluster: ClusterConfig = MISSING
    ranking: RankingConfig = MISSING
    tracking: TrackingConfig = MISSING
    executor: ExecutorConfig = MISSING
    frames_per_video: int = FRAMES_PER_VIDEO  # frames read from each video (evenly spread, or over its shots)
    per_video: PerVideoConfig = field(default_factory=PerVideoConfig)
    people: PeopleConfig = field(default_factory=PeopleConfig)
    registry: RegistryConfig = field(default_factory=RegistryConfig)
    creatives: CreativesConfig = field(default_factory=CreativesConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    def __post_init__(self) -> None:
        require(self.frames_per_video >= 1, "frames_per_video", "a whole number, 1 or more", self.frames_per_video)


def register_configs() -> None:
    """Store the schema, every group's options and the installed components' configs in Hydra's
    ConfigStore; call it before Hydra composes the config."""
    cs = ConfigStore.instance()
    cs.store(name="schema", node=Config)
    cs.store(group="data", name="demo", node=DataConfig)
    for method in manager.installed().ranking_methods:  # `ranking=<method>`, as `ranking.method=<method>`
        cs.store(group="ranking", name=method, node=RankingConfig(method=method))
    cs.store(group="tracking", name="mlflow", node=TrackingConfig)
    cs.store(group="tracking", name="none", node=TrackingConfig(enabled=False))
    for name, executor in executors().items():  # `executor=<name>`, from the plugins (ik_executors)
        cs.store(group="executor", name=name, node=executor.config)
    manager.register_configs()


def check(cfg: DictConfig) -> Config:
    """The config as its dataclasses, each checked (`__post_init__`); a `ConfigError` naming the
    first bad key otherwise. Call it before any work."""
    try:
        _refuse_added_keys(cfg)
        return OmegaConf.to_object(cfg)
    except OmegaConfBaseException as err:
        raise ConfigError(explain(err) or str(err)) from err


def _refuse_added_keys(node: DictConfig, prefix: str = "") -> None:
    """A `ConfigError` for a key that is no field of its node's dataclass (Hydra lets `+key=value`
    add one)."""
    owner = OmegaConf.get_type(node)
    known = [f.name for f in fields(owner)] if isinstance(owner, type) and is_dataclass(owner) else None
    for key in node:
        if known is not None and key not in known:
            raise ConfigError(_unknown(f"{prefix}{key}", known))
        if isinstance(node[key], DictConfig):
            _refuse_added_keys(node[key], f"{prefix}{key}.")


def explain(err: Exception) -> str | None:
    """One line for an error of Hydra or OmegaConf about the config (`<key>: <what is allowed>`);
    None for any other error."""
    cause = err.__cause__ if isinstance(err.__cause__, OmegaConfBaseException) else err
    if isinstance(err, OverrideParseException):
        return f"{err.override}: not an override; write key=value, e.g. ranking.std_penalty=1"
    if isinstance(err, MissingConfigException) and err.options is not None:
        group, _, name = (err.missing_cfg_file or "").rpartition("/")
        return f"{group}={name}: no such option; choose one of {', '.join(sorted(err.options))}"
    if isinstance(cause, OmegaConfBaseException) and getattr(cause, "full_key", None):
        return _explain_key(cause)
    if isinstance(err, ConfigCompositionException | OmegaConfBaseException):
        return _first_line(err)
    return None


def _explain_key(err: OmegaConfBaseException) -> str:
    """`<key>: <what it allows>` for an OmegaConf error about one key."""
    key, owner = err.full_key, err.object_type
    name = key.rpartition(".")[2]
    if not (isinstance(owner, type) and is_dataclass(owner)):
        return f"{key}: {_first_line(err)}"
    known = [f.name for f in fields(owner)]
    if name not in known:
        return _unknown(key, known) if isinstance(err, ConfigKeyError | ConfigAttributeError) else _first_line(err)
    allowed = _describe(typing.get_type_hints(owner)[name])
    if isinstance(err, MissingMandatoryValue):
        return f"{key}: not set; give {allowed}"
    value = re.search(r"[Vv]alue '(.*?)'", str(err))
    got = f", got {value.group(1)!r}" if value else ", got null" if "is not Optional" in str(err) else ""
    return f"{key}: {allowed}{got}"


def _unknown(key: str, known: list[str]) -> str:
    """The line for a key that is no setting; `known` are its node's settings."""
    where = f"{key.rpartition('.')[0]}'s" if "." in key else "the"
    return f"{key}: no such setting; {where} settings are {', '.join(known)}"


TYPE_WORDS = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}


def _describe(tp: object) -> str:
    """What values a field of type `tp` takes, in words."""
    args = typing.get_args(tp)
    if type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        return f"{_describe(inner)} or null"
    if isinstance(tp, type) and is_dataclass(tp):
        return f"a group of settings ({', '.join(f.name for f in fields(tp))})"
    return TYPE_WORDS.get(tp, getattr(tp, "__name__", str(tp)))


def _first_line(err: Exception) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]
