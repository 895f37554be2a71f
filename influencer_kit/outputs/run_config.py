"""What a run was, kept in its output folder whatever `output.dir` is: `config.yaml` (the resolved
config, as Hydra's `.hydra/config.yaml`) and `command.yaml` (the folder it was started in and its
command-line overrides), so the review app's Apply can run it again. Hydra's own `.hydra/` is
only in Hydra's run folder, which is not the output folder when `output.dir=` is set."""
from __future__ import annotations

from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from influencer_kit.atomic import write_atomic

CONFIG = "config.yaml"
COMMAND = "command.yaml"


def write_run_config(cfg: DictConfig, out: Path) -> None:
    """`config.yaml` always; `command.yaml` when the run was started from the command line (under
    Hydra), the only case where its overrides are known."""
    write_atomic(out / CONFIG, OmegaConf.to_yaml(cfg, resolve=True).encode())
    if HydraConfig.initialized():
        command = {"cwd": HydraConfig.get().runtime.cwd, "overrides": list(HydraConfig.get().overrides.task)}
        write_atomic(out / COMMAND, OmegaConf.to_yaml(command).encode())
