"""Every error a user fixes by changing the command, the input or the installation, not the code:
one hierarchy under `InfluencerKitError`, which the CLI prints as one `error: ...` line, exit 2.

    InfluencerKitError
        ConfigError            a setting that cannot work (`ranking.ci_level: ...`)
            ComponentError     a detector, embedder or clusterer failed
            MissingWeightsError
            TrackingError      MLflow could not record the run
            PluginError        an installed plugin is broken
        InputError             the spreadsheet as a whole cannot be used
            RegistryError      the registry of known people cannot be used as asked
                RegistryConflict   a correction based on a version of the registry changed since
            RunFolderError     the review app's run folder cannot be used
        RequestError           the review app cannot act on a request (its page says why)
        ApplyError             the review app's Apply could not run the run again
        VideoError             one video cannot be used: its row records why, the run goes on
            FetchError         downloading or finding it failed
                NoVideoFound
            DecodeError        it is not a video FFmpeg can decode
"""
from __future__ import annotations

EXIT_STATUS = 2  # of a command stopped by an `InfluencerKitError`


class InfluencerKitError(Exception):
    """Base of every error the user can act on; the message says what was found and what to do."""


class ConfigError(InfluencerKitError):
    """A setting that cannot work here (a value out of range, an executor whose extra is not
    installed); the message names the key and what it allows."""


def require(ok: bool, key: str, allowed: str, value: object) -> None:
    """Raise `ConfigError("<key>: <allowed>, got <value>")` unless `ok`: the check of one setting."""
    if not ok:
        raise ConfigError(f"{key}: {allowed}, got {value!r}")


class ComponentError(ConfigError):
    """A detector, embedder or clusterer raised an unexpected exception: `cluster=hdbscan failed:
    TypeError: ...`. Raised from the original exception, whose traceback goes to the run's log."""


class MissingWeightsError(ConfigError):
    """A component's model weights are neither on disk nor downloadable from here; the message
    names the files and where to put them."""


class TrackingError(ConfigError):
    """MLflow could not record the run (bad `tracking.uri`, server down, store unreadable)."""


class PluginError(ConfigError):
    """A plugin is broken: it fails to import, a hook is misspelt or raises, a name is offered twice."""


class InputError(InfluencerKitError):
    """The spreadsheet as a whole cannot be used; the message says why and what was found."""


class RegistryError(InputError):
    """The registry cannot be used as asked (an unknown id, a registry built with another embedder)."""


class RegistryConflict(RegistryError):
    """A correction made from an older version of the registry (a page or a `history` someone else's
    correction has outdated since): refused, never applied blind. `newest` names the correction
    that changed it (`#12, merge`)."""

    def __init__(self, seen: int, newest: str) -> None:
        super().__init__(f"someone changed the registry since you looked (newest correction: {newest}; you saw "
                         f"#{seen}); nothing was changed: look again, then make the correction again")
        self.seen, self.newest = seen, newest


class RunFolderError(InputError):
    """The run folder given to the review app cannot be used (missing, or not a run's output)."""


class RequestError(InfluencerKitError):
    """A review-app request that cannot be acted on; `status` is the HTTP status of the page that
    says why, `reload` whether reloading the page is the way out (a stale or foreign form)."""

    def __init__(self, message: str, status: int = 400, reload: bool = False) -> None:
        super().__init__(message)
        self.status, self.reload = status, reload


class ApplyError(InfluencerKitError):
    """The review app's Apply could not run, or the run it started failed; the message says why and
    `status` is the HTTP status of the page that says it (a 4xx: the run folder or the registry is
    what needs fixing, or another Apply is running)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


class VideoError(InfluencerKitError):
    """One video cannot be used; its row's `error` says why and the other rows go on."""


class FetchError(VideoError):
    """A failed fetch; `retry` says whether another attempt may succeed."""

    def __init__(self, message: str, retry: bool = False) -> None:
        super().__init__(message)
        self.retry = retry


class NoVideoFound(FetchError):
    """yt-dlp read the page but found no video in it."""


class DecodeError(VideoError):
    """The file is not a video FFmpeg (PyAV) can decode (an HTML page, a truncated download...)."""
