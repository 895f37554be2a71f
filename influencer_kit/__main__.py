"""`python -m influencer_kit [hydra overrides]`: load plugins, register their configs, run."""
from __future__ import annotations

import logging
import signal
import sys

import hydra
from omegaconf import DictConfig

from influencer_kit.app import main_task
from influencer_kit.errors import ComponentError, ConfigError
from influencer_kit.inputs.sheet import InputError
from influencer_kit.plugin import manager

INPUT_ERROR = 2  # exit code of a run stopped by an unusable spreadsheet or setting, or a failing component
INTERRUPTED = 130  # exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells report it

log = logging.getLogger("influencer_kit")


@hydra.main(version_base="1.3", config_path="pkg://influencer_kit.conf", config_name="config")
def _hydra_main(cfg: DictConfig) -> float | None:
    try:
        return main_task(cfg)
    except (InputError, ConfigError) as err:  # caught here: Hydra prints a traceback for any exception it sees
        logged = log_to_files(err) if isinstance(err, ComponentError) else []
        where = f" (traceback in {', '.join(logged)})" if logged else ""
        print(f"error: {err}{where}", file=sys.stderr)
        sys.exit(INPUT_ERROR)


def log_to_files(err: BaseException) -> list[str]:
    """Write `err` with its traceback to the log files only (Hydra's job log), not to the terminal,
    which gets one line; returns the files' paths."""
    record = log.makeRecord(log.name, logging.ERROR, __file__, 0, str(err), (), (type(err), err, err.__traceback__))
    files = [h for h in logging.getLogger().handlers if isinstance(h, logging.FileHandler)]
    for handler in files:
        handler.handle(record)
    return [handler.baseFilename for handler in files]


def _exit_on_sigterm(signum: int, frame: object) -> None:
    """`kill` stops the run the way Ctrl-C does: cleanup code runs and temporary files go."""
    sys.exit(128 + signum)


def cli() -> None:
    try:
        manager.register_configs()
    except manager.PluginError as err:  # a broken installed plugin: named in one line
        print(f"error: {err}", file=sys.stderr)
        sys.exit(INPUT_ERROR)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        _hydra_main()
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume; finished downloads and analyses "
              "are kept in the cache", file=sys.stderr)
        sys.exit(INTERRUPTED)


if __name__ == "__main__":
    cli()
