"""Errors a user fixes by changing the command, not the code: the CLI prints one `error:` line."""
from __future__ import annotations


class ConfigError(RuntimeError):
    """A setting that cannot work here (an executor whose extra is not installed, for one); the
    message says what to do."""


class ComponentError(ConfigError):
    """A detector, embedder or clusterer raised an unexpected exception: `cluster=hdbscan failed:
    TypeError: ...`. Raised from the original exception, whose traceback goes to the run's log."""
