"""One run's output folder as the review app reads it: the three tables, and what Apply runs
again: the resolved config and the command (`config.yaml` and `command.yaml`, which every run
writes into its output folder; Hydra's `.hydra/` for runs made before). Tables are read again
whenever a file changes."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from influencer_kit.registry.embedders import embedder_key
from influencer_kit.registry.database import Location
from influencer_kit.registry.known import registry_path
from influencer_kit.outputs.report import video_links
from influencer_kit.outputs.run_config import COMMAND, CONFIG
from influencer_kit.errors import RunFolderError
from influencer_kit.inputs.columns import find_column

VIDEOS = "ProcessedVideos_videos.csv"
METRICS = "PerformanceMetrics_videos.csv"
RANKED = "Ranked_Influencers.csv"
HYDRA = ".hydra"


@functools.lru_cache(maxsize=16)
def _read(path: Path, mtime: float) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, dtype={"video_sha256": str, "influencer": str})


def read_table(path: Path) -> pd.DataFrame:
    """A table of the run, read once per version of the file."""
    return _read(path, path.stat().st_mtime)


def newest_run(root: Path) -> Path | None:
    """The newest folder under `root` (Hydra's `outputs/`) that holds a run's tables."""
    runs = [p.parent for p in Path(root).glob(f"**/{VIDEOS}")]
    return max(runs, key=lambda p: (p / VIDEOS).stat().st_mtime, default=None)


@dataclass(frozen=True)
class RunFolder:
    """A run's output folder: `videos`, `metrics` and `ranked` are its tables as they are now."""

    path: Path

    @classmethod
    def open(cls, path: Path) -> "RunFolder":
        """The folder, checked: it exists and holds the run's tables."""
        folder = Path(path).expanduser().resolve()
        if not folder.is_dir():
            raise RunFolderError(f"no run folder at {folder}: pass a run's output folder with --run PATH")
        missing = [name for name in (VIDEOS, METRICS, RANKED) if not (folder / name).is_file()]
        if missing:
            raise RunFolderError(f"{folder} is not a run's output folder: it has no {', '.join(missing)}")
        return cls(folder)

    @property
    def videos(self) -> pd.DataFrame:
        return read_table(self.path / VIDEOS)

    @property
    def metrics(self) -> pd.DataFrame:
        return read_table(self.path / METRICS)

    @property
    def ranked(self) -> pd.DataFrame:
        return read_table(self.path / RANKED)

    def _kept(self, own: str, hydra: str) -> DictConfig | None:
        """The run's file `own`, else Hydra's `.hydra/<hydra>` (older runs); None without either."""
        path = next((p for p in (self.path / own, self.path / HYDRA / hydra) if p.is_file()), None)
        return OmegaConf.load(path) if path is not None else None

    @property
    def config(self) -> DictConfig | None:
        """The run's resolved config, or None when the folder has none."""
        return self._kept(CONFIG, "config.yaml")

    @property
    def command_known(self) -> bool:
        """Whether the folder says how the run was started (its folder and overrides)."""
        return (self.path / COMMAND).is_file() or (self.path / HYDRA / "hydra.yaml").is_file()

    @property
    def overrides(self) -> list[str]:
        """The command-line overrides the run was started with."""
        command = self._kept(COMMAND, "hydra.yaml")
        if command is None:
            return []
        return [str(o) for o in (command.overrides if "overrides" in command else command.hydra.overrides.task)]

    @property
    def started_in(self) -> Path:
        """The folder the run was started from (relative paths in its config are from there)."""
        command = self._kept(COMMAND, "hydra.yaml")
        if command is None:
            return self.path
        return Path(command.cwd if "cwd" in command else command.hydra.runtime.cwd)

    def registry(self) -> Location | None:
        """The registry the run used, as it found it; None when it had the registry off."""
        cfg = self.config
        if cfg is None or not cfg.registry.enabled:
            return None
        return registry_path(cfg.registry.uri, cfg.tracking.get("uri"), base=self.started_in)

    def embedder_key(self) -> str | None:
        """The key of the run's embedder config in the registry, or None without a config."""
        cfg = self.config
        return embedder_key(OmegaConf.to_container(cfg.embedder, resolve=True)) if cfg is not None else None

    def url_column(self) -> str:
        """The input's video column, matched as the run matched it."""
        cfg = self.config
        given = cfg.data.url_column if cfg is not None else None
        return find_column(list(self.videos.columns), "video_url", given, "URL", self.path / VIDEOS)

    def video_links(self) -> list[str | None]:
        """Each row's video as a link a browser opens (local files as file:// links), as the report
        makes them; None where the row has no valid video reference."""
        cfg = self.config
        sheet = Path(str(cfg.data.path)) if cfg is not None and cfg.data.path else None
        base = (self.started_in / sheet).parent if sheet is not None else self.path
        return video_links(self.videos, self.url_column(), base)
