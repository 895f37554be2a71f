"""`python -m influencer_kit [hydra overrides]`: register the configs, run, and turn every error the
user can act on (`InfluencerKitError`, or Hydra refusing a setting) into one `error: ...` line."""
from __future__ import annotations

import logging
import os
import signal
import sys

import hydra
from hydra.errors import HydraException
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from influencer_kit import config
from influencer_kit.app import main_task
from influencer_kit.errors import EXIT_STATUS, ComponentError, InfluencerKitError

INTERRUPTED = 130  # exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells report it
DECIMAL_COMMA, DECIMAL_COMMA_ESCAPED = "data.decimal=,", r"data.decimal=\,"
FULL_ERROR_ENV = "HYDRA_FULL_ERROR"  # set: Hydra raises errors instead of printing them (set by the user: tracebacks)

log = logging.getLogger("influencer_kit")


@hydra.main(version_base="1.3", config_path="pkg://influencer_kit.conf", config_name="config")
def _hydra_main(cfg: DictConfig) -> float | None:
    try:
        return main_task(cfg)
    except InfluencerKitError as err:  # caught here: Hydra prints a traceback for any exception it sees
        fail(err)


def fail(err: InfluencerKitError) -> None:
    """Print `err` as one `error:` line (a failing component's traceback goes to the log files) and
    exit with `EXIT_STATUS`."""
    logged = log_to_files(err) if isinstance(err, ComponentError) else []
    where = f" (traceback in {', '.join(logged)})" if logged else ""
    print(f"error: {err}{where}", file=sys.stderr)
    sys.exit(EXIT_STATUS)


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


def comma_escaped(args: list[str]) -> list[str]:
    """The command line with `data.decimal=,` escaped for Hydra, which reads a bare comma as a list
    of sweep values, so that the setting works as the docs and the errors write it."""
    return [DECIMAL_COMMA_ESCAPED if arg == DECIMAL_COMMA else arg for arg in args]


def cli() -> None:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    sys.argv[1:] = comma_escaped(sys.argv[1:])
    tracebacks = FULL_ERROR_ENV in os.environ
    os.environ[FULL_ERROR_ENV] = "1"  # Hydra raises what it refuses, for `config.explain`
    try:
        config.register_configs()
        _hydra_main()
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume; finished downloads and analyses "
              "are kept in the cache", file=sys.stderr)
        sys.exit(INTERRUPTED)
    except InfluencerKitError as err:
        fail(err)
    except (HydraException, OmegaConfBaseException) as err:
        line = config.explain(err)
        if tracebacks or line is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        sys.exit(EXIT_STATUS)


if __name__ == "__main__":
    cli()
