"""`python -m influencer_kit [hydra overrides]`: load plugins, register their configs, run."""
from __future__ import annotations

import logging
import sys

import hydra
from omegaconf import DictConfig

from influencer_kit import plugins
from influencer_kit.app import main_task
from influencer_kit.sheet import InputError

log = logging.getLogger("influencer_kit")


@hydra.main(version_base="1.3", config_path="pkg://influencer_kit.conf", config_name="config")
def _hydra_main(cfg: DictConfig) -> float | None:
    return main_task(cfg)


def cli() -> None:
    plugins.register_configs()
    try:
        _hydra_main()
    except InputError as err:
        log.error("%s", err)
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    cli()
