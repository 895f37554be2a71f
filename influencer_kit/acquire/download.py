"""Turn one video reference from the spreadsheet into a file in the content-addressed cache.

Every video, downloaded or local, ends up as ``cache_dir/videos/<sha256[:2]>/<sha256><ext>`` so
that later stages read only from the cache.  Bytes are written to a temporary file inside the
cache and moved into place with ``os.replace`` only once complete, so the cache never holds a
partial file.  Downloaded URLs are remembered in ``cache_dir/urls/<sha256 of url>.txt``; a URL
found there whose file is still cached is returned without touching the network, which is what
lets a killed run resume without redoing its downloads.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urljoin, urlsplit

import requests

from influencer_kit.errors import FetchError, require
from influencer_kit.model import Fetched, Status

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
ACCEPTED = "an http://, https:// or file:// URL, or a path to a local file"
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass
class FetchConfig:
    """`fetch`: how videos (and a Google Sheets `data.path`) are downloaded."""

    connect_timeout: float = 10.0  # seconds to connect
    read_timeout: float = 30.0  # seconds the server may send nothing
    retries: int = 3  # extra attempts after the first, on 5xx and connection/timeout errors only
    backoff: float = 0.5  # seconds before the first retry, doubled each retry
    max_bytes: int = 500_000_000  # a larger video is refused
    max_redirects: int = 5
    workers: int = 4  # parallel downloads
    google_sheets_base: str = "https://docs.google.com"  # where Google Sheets links are exported from
    google_drive_base: str = "https://drive.google.com"  # where Drive share links are downloaded from

    def __post_init__(self) -> None:
        for key in ("connect_timeout", "read_timeout"):
            require(getattr(self, key) > 0, f"fetch.{key}", "seconds, more than 0", getattr(self, key))
        for key in ("retries", "max_redirects"):
            require(getattr(self, key) >= 0, f"fetch.{key}", "a whole number, 0 or more", getattr(self, key))
        require(self.backoff >= 0, "fetch.backoff", "seconds, 0 or more", self.backoff)
        require(self.max_bytes >= 1, "fetch.max_bytes", "a number of bytes, 1 or more", self.max_bytes)
        require(self.workers >= 1, "fetch.workers", "a whole number, 1 or more", self.workers)
        for key in ("google_sheets_base", "google_drive_base"):
            value = getattr(self, key)
            require(urlsplit(value).scheme in ("http", "https") and bool(urlsplit(value).hostname),
                    f"fetch.{key}", "an http:// or https:// address", value)


def failed_row(row: int, url: str, source: str, error: str, status: Status = Status.DOWNLOAD_ERROR) -> Fetched:
    """A failed result, logged."""
    log.warning("row %d: %s", row, error)
    return Fetched(row, url, None, None, status, error, source)


def invalid_row(row: int, url: str, source: str, error: str) -> Fetched:
    """A reference that is not something this module can fetch."""
    return failed_row(row, url, source, error, status=Status.INVALID_URL)


def _extension(name: str) -> str:
    """The lower-cased suffix of a file name if short and alphanumeric (``.mp4``), else ""."""
    suffix = PurePosixPath(name).suffix
    return suffix.lower() if _EXTENSION.fullmatch(suffix) else ""


def _cache_path(cache_dir: Path, sha256: str, ext: str) -> Path:
    """Where the file with this hash and extension lives in the cache."""
    return cache_dir / "videos" / sha256[:2] / f"{sha256}{ext}"


@contextmanager
def _temp_file(cache_dir: Path) -> Iterator[Path]:
    """A fresh temporary path inside the cache, removed on exit unless moved away."""
    folder = cache_dir / "videos"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{uuid.uuid4().hex}.tmp"
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def _commit(tmp: Path, cache_dir: Path, sha256: str, ext: str) -> Path:
    """Move a complete temporary file to its content-addressed place; return that place."""
    target = _cache_path(cache_dir, sha256, ext)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, target)
    return target


def _copy_hashing(chunks: Iterable[bytes], tmp: Path, limit: int | None = None, url: str = "") -> tuple[str, int]:
    """Write chunks to ``tmp``; return their sha256 and size, stopping once over ``limit`` bytes."""
    digest = hashlib.sha256()
    size = 0
    with tmp.open("xb") as out:
        for chunk in chunks:
            size += len(chunk)
            if limit is not None and size > limit:
                raise FetchError(f"{url} is larger than {limit} bytes (fetch.max_bytes); the download was stopped")
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


def _read_chunks(path: Path) -> Iterator[bytes]:
    """The bytes of a file, a chunk at a time."""
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            yield chunk


# ---------------------------------------------------------------- local files


def fetch_local(row: int, url: str, path: Path, source: str, cache_dir: Path) -> Fetched:
    """Hash a local file and hard-link (or copy) it into the cache."""
    try:
        sha256, cached = store_local(path, cache_dir)
    except FetchError as e:
        return failed_row(row, url, source, str(e))
    return Fetched(row, url, cached, sha256, Status.OK, "", source)


def store_local(path: Path, cache_dir: Path) -> tuple[str, Path]:
    """Put a local file into the cache; return its sha256 and cached path."""
    try:
        if not path.is_file():
            raise FetchError(f"{path} {'is not a file' if path.exists() else 'does not exist'}")
        with _temp_file(cache_dir) as tmp:
            sha256, size = _link_or_copy(path, tmp)
            if size == 0:
                raise FetchError(f"{path} is empty")
            return sha256, _commit(tmp, cache_dir, sha256, _extension(path.name))
    except OSError as e:
        raise FetchError(f"cannot copy {path} into the cache {cache_dir}: {e.strerror or e}") from e


def _link_or_copy(path: Path, tmp: Path) -> tuple[str, int]:
    """Hard-link ``path`` to ``tmp`` and hash it, or copy it there while hashing if linking fails."""
    try:
        os.link(path, tmp)
    except OSError:
        return _copy_hashing(_read_chunks(path), tmp)
    return hash_file(tmp)


def hash_file(path: Path) -> tuple[str, int]:
    """The file's sha256 and size, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    for chunk in _read_chunks(path):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


# ---------------------------------------------------------------- HTTP


def fetch_http(
    row: int, url: str, text: str, cache_dir: Path, cfg: FetchConfig, session: requests.Session | None
) -> Fetched:
    """Return the cached download of ``text`` or download it, retrying transient failures."""
    ext = _extension(urlsplit(text).path)
    known = lookup_url(cache_dir, text, ext)
    if known is not None:
        log.debug("row %d: %s already in the cache", row, text)
        return Fetched(row, url, known, known.name[:64], Status.OK, "", "http")
    if session is None:
        with requests.Session() as own:
            return fetch_http(row, url, text, cache_dir, cfg, own)
    try:
        sha256, path = download_with_retries(session, text, cache_dir, ext, cfg)
    except FetchError as e:
        return failed_row(row, url, "http", str(e))
    remember_url(cache_dir, text, sha256)
    log.info("row %d: downloaded %s (%s)", row, text, sha256[:12])
    return Fetched(row, url, path, sha256, Status.OK, "", "http", downloaded=True)


def _url_index(cache_dir: Path, url: str) -> Path:
    """The index file recording which content ``url`` downloaded to."""
    return cache_dir / "urls" / f"{hashlib.sha256(url.encode()).hexdigest()}.txt"


def lookup_url(cache_dir: Path, url: str, ext: str) -> Path | None:
    """The cached file of an earlier download of ``url``, if it is still there."""
    try:
        sha256 = _url_index(cache_dir, url).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not _SHA256.fullmatch(sha256):
        return None
    path = _cache_path(cache_dir, sha256, ext)
    return path if path.is_file() else None


def remember_url(cache_dir: Path, url: str, sha256: str) -> None:
    """Record (atomically) that ``url`` downloaded to the content ``sha256``."""
    index = _url_index(cache_dir, url)
    tmp = index.with_name(f".{uuid.uuid4().hex}.tmp")
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(sha256 + "\n", encoding="ascii")
        os.replace(tmp, index)
    except OSError as e:  # the download itself is fine; only a resumed run will fetch it again
        log.warning("cannot record %s in the download index %s: %s", url, index, e)
    finally:
        tmp.unlink(missing_ok=True)


def download_with_retries(
    session: requests.Session, url: str, cache_dir: Path, ext: str, cfg: FetchConfig
) -> tuple[str, Path]:
    """Download, retrying with exponential backoff while the failure is transient."""
    attempt = 0
    while True:
        try:
            return _download(session, url, cache_dir, ext, cfg)
        except FetchError as e:
            if not e.retry or attempt >= cfg.retries:
                suffix = f" (gave up after {attempt + 1} attempts)" if e.retry and attempt else ""
                raise FetchError(f"{e}{suffix}") from e
            delay = cfg.backoff * 2**attempt
            log.warning("%s; retrying in %.2f s", e, delay)
            time.sleep(delay)
            attempt += 1


def _download(
    session: requests.Session, url: str, cache_dir: Path, ext: str, cfg: FetchConfig
) -> tuple[str, Path]:
    """One attempt: stream ``url`` into the cache; requests' errors become FetchErrors."""
    try:
        with _open(session, url, cfg) as resp, _temp_file(cache_dir) as tmp:
            expected = _expected_size(resp, url, cfg.max_bytes)
            sha256, size = _copy_hashing(resp.iter_content(CHUNK_BYTES), tmp, cfg.max_bytes, url)
            if size == 0:
                raise FetchError(f"{url} gave an empty response (0 bytes)")
            if expected is not None and size < expected:
                raise FetchError(f"{url}: the body was truncated ({size} of {expected} bytes arrived)", retry=True)
            return sha256, _commit(tmp, cache_dir, sha256, ext)
    except requests.RequestException as e:  # before OSError, which it subclasses
        raise _explain(e, url, cfg) from e
    except OSError as e:
        raise FetchError(f"cannot write {url} into the cache {cache_dir}: {e.strerror or e}") from e


def _open(session: requests.Session, url: str, cfg: FetchConfig) -> requests.Response:
    """GET ``url`` streaming, following at most ``cfg.max_redirects`` redirects, and check the status."""
    chain = [url]
    while True:
        resp = session.get(
            chain[-1], stream=True, allow_redirects=False, timeout=(cfg.connect_timeout, cfg.read_timeout)
        )
        target = session.get_redirect_target(resp)
        if target is None:
            break
        resp.close()
        _follow(chain, urljoin(chain[-1], target), cfg.max_redirects)
    if not 200 <= resp.status_code < 300:
        resp.close()
        status = f"HTTP {resp.status_code} {resp.reason}".strip()
        raise FetchError(f"{url}: the server answered {status}", retry=resp.status_code >= 500)
    return resp


def _follow(chain: list[str], target: str, max_redirects: int) -> None:
    """Append a redirect target to the chain, refusing loops, too many hops and non-HTTP targets."""
    if target in chain:
        hops = " -> ".join([*chain, target])
        raise FetchError(f"{chain[0]} redirects in a loop ({hops})")
    if len(chain) > max_redirects:
        raise FetchError(f"{chain[0]} redirects more than {max_redirects} times (fetch.max_redirects)")
    if urlsplit(target).scheme.lower() not in ("http", "https"):
        raise FetchError(f"{chain[0]} redirects to {target}, which is not an http(s) URL")
    chain.append(target)


def _expected_size(resp: requests.Response, url: str, max_bytes: int) -> int | None:
    """The declared body size (None if unknown or encoded); refuse early if over ``max_bytes``."""
    declared = resp.headers.get("Content-Length", "")
    if not declared.isdigit():
        return None
    if int(declared) > max_bytes:
        raise FetchError(f"{url} is larger than {max_bytes} bytes (fetch.max_bytes): Content-Length is {declared}")
    encoding = resp.headers.get("Content-Encoding", "identity").strip().lower()
    return int(declared) if encoding == "identity" else None


def _explain(e: requests.RequestException, url: str, cfg: FetchConfig) -> FetchError:
    """A FetchError saying what a requests exception means for the user, retryable if transient."""
    if isinstance(e, requests.ConnectTimeout):
        return FetchError(f"{url}: no connection within {cfg.connect_timeout} s (fetch.connect_timeout)", True)
    if isinstance(e, requests.Timeout) or "timed out" in str(e).lower():
        return FetchError(f"{url}: the server sent nothing for {cfg.read_timeout} s (fetch.read_timeout)", True)
    if isinstance(e, requests.exceptions.ChunkedEncodingError):
        reason = _root_cause(e)
        return FetchError(f"{url}: the connection broke off and the body was truncated ({reason})", retry=True)
    if isinstance(e, requests.ConnectionError):
        return FetchError(f"{url}: could not connect to the server ({_root_cause(e)})", retry=True)
    return FetchError(f"{url}: the download failed ({_root_cause(e)})")


def _root_cause(e: BaseException) -> str:
    """The innermost reason in a requests/urllib3 exception chain, e.g. "Connection refused"."""
    for _ in range(10):  # the chains are short; the bound only guards against cycles
        wrapped = [getattr(e, "reason", None), e.__cause__, e.args[0] if e.args else None]
        inner = next((x for x in wrapped if isinstance(x, BaseException)), None)
        if inner is None:
            break
        e = inner
    return e.strerror if isinstance(e, OSError) and e.strerror else str(e)
