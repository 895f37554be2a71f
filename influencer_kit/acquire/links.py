"""Inputs where users keep them: Google Sheets links, Google Drive share links and video pages.

Rules on top of fetch.py, registered as link sources (link_rules.py) and asked after any plugin's,
in this order; the one that handled a row is its `source`:
- `google_drive`: a Drive share link (`/file/d/<id>/view`, `open?id=<id>`, `uc?id=<id>`) is downloaded
  from `<fetch.google_drive_base>/uc?export=download&id=<id>`. For a file too large for Drive's virus
  scan, Drive first answers with a warning page whose "Download anyway" form (`id="download-form"`)
  names the real download; that form is submitted once, as a browser would. Any other web page in
  Drive's answer (a sign-in page: the file is not shared) is a `download_error`.
- `yt-dlp`: a link to a social video page (YouTube, TikTok, Instagram, ...) is handed to yt-dlp, the
  optional extra `influencer-kit[social]`, which takes an H.264 format where the page offers one
  (`PAGE_SORT`). So is any other http(s) link that answers with a web page
  rather than a video, when yt-dlp is installed; a page in which yt-dlp finds no video (a login page)
  stays the row's file, so the row ends as `decode_error` ("got a web page") as without yt-dlp.
  yt-dlp obeys fetch's limits and its downloads land in the same content-addressed cache and URL
  index (under the key `yt-dlp:<url>`), stored without an extension so that the index finds them.
- Everything else is fetch's own `http` rule.
fetch.py hands every http(s) reference to `fetch_web` here.
`resolve_sheet` turns a Google Sheets link in `data.path` into a downloaded .xlsx (or, for a link
naming a tab by its `gid`, that tab as .csv: Google's .xlsx export holds every tab and ignores gid).
"""
from __future__ import annotations

import logging
import os
import re
import tempfile
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

from influencer_kit.acquire.download import (
    FetchConfig,
    download_with_retries,
    failed_row,
    fetch_http,
    lookup_url,
    remember_url,
    store_local,
)
from influencer_kit.errors import FetchError, InputError, NoVideoFound
from influencer_kit.model import Fetched, Status
from influencer_kit.plugin import LinkRequest
from influencer_kit.plugin.manager import link_sources

log = logging.getLogger(__name__)

PAGE_HOSTS = ("youtube.com", "youtu.be", "tiktok.com", "instagram.com", "facebook.com", "fb.watch", "x.com",
              "twitter.com", "vimeo.com", "dailymotion.com", "twitch.tv", "snapchat.com", "reddit.com")
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi", ".3gp")  # a file, whatever its host
# One file (no merging, so no ffmpeg), 720p at most where sizes are known: enough for faces.
PAGE_FORMAT = "b[height<=?720]/b/bv*"
# Among those, H.264 first (OpenCV's FFmpeg decodes it everywhere), then codecs older than it, and
# HEVC, VP9 and AV1 last, even at a lower resolution: the OpenCV wheel cannot decode AV1.
PAGE_SORT = ["vcodec:h264"]
PAGE_KEY = "yt-dlp:"  # prefix of a page's key in the URL index, apart from the page's own download
INSTALL_HINT = "install yt-dlp to download videos from web pages: pip install 'influencer-kit[social]'"
SHARE_HINT = ("share it as 'Anyone with the link' can view (Share > General access), or download it "
              "and give the file instead")
HEAD_BYTES = 512
_DRIVE_HOSTS = ("drive.google.com", "docs.google.com")
_DRIVE_FILE = re.compile(r"/file(?:/u/\d+)?/d/([\w-]+)(?:/|$)")
_SHEET = re.compile(r"/spreadsheets(?:/u/\d+)?/d/(?:(e)/)?([\w-]+)")
_ID = re.compile(r"[\w-]+")


# ---------------------------------------------------------------- link rules


def is_page_url(url: str) -> bool:
    """True for a link to a video page on a known social host; a path ending in a video file's
    suffix (a CDN link) is a file, whatever its host."""
    parts = urlsplit(url)
    if PurePosixPath(parts.path).suffix.lower() in VIDEO_SUFFIXES:
        return False
    host = (parts.hostname or "").lower()
    return any(host == known or host.endswith(f".{known}") for known in PAGE_HOSTS)


def drive_download_url(url: str, base: str) -> str | None:
    """The direct download form of a Google Drive share link under `base`, or None if not one."""
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in _DRIVE_HOSTS:
        return None
    query = parse_qs(parts.query)
    match = _DRIVE_FILE.match(parts.path)
    file_id = match.group(1) if match else query.get("id", [""])[0] if parts.path in ("/open", "/uc") else ""
    if not _ID.fullmatch(file_id):
        return None
    params = {"export": "download", "id": file_id}
    if "resourcekey" in query:  # older shared files need it
        params["resourcekey"] = query["resourcekey"][0]
    return f"{base.rstrip('/')}/uc?{urlencode(params)}"


@dataclass(frozen=True)
class SheetExport:
    """Where a Google Sheet is downloaded from, and the file name it is saved under."""

    url: str
    file_name: str


def sheet_export(link: str, base: str, tab_named: bool = False) -> SheetExport | None:
    """The export of a Google Sheets link under `base`, or None if `link` is not one. Without a
    `gid` (or when `tab_named`, i.e. data.sheet picks the tab) the whole workbook as .xlsx; with
    one, that tab as .csv, the only export that honours gid."""
    parts = urlsplit(link)
    match = _SHEET.match(parts.path)
    if (parts.hostname or "").lower() != "docs.google.com" or match is None:
        return None
    published, sheet_id = match.groups()
    gids = parse_qs(parts.query).get("gid") or parse_qs(parts.fragment).get("gid") or [""]
    gid = gids[0] if gids[0].isdigit() and not tab_named else ""
    root = f"{base.rstrip('/')}/spreadsheets/d/{'e/' if published else ''}{sheet_id}"
    name = f"{sheet_id}-gid{gid}.csv" if gid else f"{sheet_id}.xlsx"
    if published:  # "Publish to web" links
        query = {"gid": gid, "single": "true", "output": "csv"} if gid else {"output": "xlsx"}
        return SheetExport(f"{root}/pub?{urlencode(query)}", name)
    query = {"format": "csv", "gid": gid} if gid else {"format": "xlsx"}
    return SheetExport(f"{root}/export?{urlencode(query)}", name)


def drive_confirm_url(html: str, page_url: str) -> str | None:
    """The download that Drive's "can't scan this file for viruses" page submits, or None."""
    form = _DownloadForm()
    form.feed(html)
    if form.action is None:
        return None
    target = urljoin(page_url, form.action)
    return f"{target}{'&' if '?' in target else '?'}{urlencode(form.fields)}"


class _DownloadForm(HTMLParser):
    """The action and hidden fields of a page's `<form id="download-form">`."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "form" and attr.get("id") == "download-form":
            self._inside, self.action = True, attr.get("action") or ""
        elif tag == "input" and self._inside and attr.get("type") == "hidden" and attr.get("name"):
            self.fields[attr["name"]] = attr.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def is_web_page(path: Path) -> bool:
    """Whether a downloaded file is an HTML page rather than a video or a spreadsheet."""
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES).lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


# ---------------------------------------------------------------- the spreadsheet


def resolve_sheet(path: str, cache_dir: Path, cfg: FetchConfig, sheet: str | int | None = None) -> Path:
    """The local spreadsheet `data.path` names: a path as given, or a Google Sheets link downloaded
    (fresh every run, with fetch's limits) to `cache_dir/sheets/`. `sheet` is data.sheet."""
    if urlsplit(path).scheme.lower() not in ("http", "https"):
        return Path(path).expanduser().resolve()
    export = sheet_export(path, cfg.google_sheets_base, tab_named=sheet not in (None, ""))
    if export is None:
        raise InputError(f"data.path {path} is a web address but not a Google Sheets link; download the "
                         f"spreadsheet as .xlsx or .csv and give its path")
    folder = cache_dir / "sheets"
    folder.mkdir(parents=True, exist_ok=True)
    with requests.Session() as session, tempfile.TemporaryDirectory(dir=folder, prefix=".") as scratch:
        try:
            _, got = download_with_retries(session, export.url, Path(scratch), Path(export.file_name).suffix, cfg)
        except FetchError as e:
            raise InputError(f"cannot download the Google Sheet {path}: {e}; check the link, and {SHARE_HINT}") from e
        if is_web_page(got):
            raise InputError(f"the Google Sheet {path} is not shared: Google answered with a sign-in page, not "
                             f"a spreadsheet; {SHARE_HINT}")
        target = folder / export.file_name
        os.replace(got, target)
    log.info("downloaded the Google Sheet %s to %s", path, target)
    return target


# ---------------------------------------------------------------- videos


def fetch_web(
    row: int, url: str, text: str, cache_dir: Path, cfg: FetchConfig, session: requests.Session | None
) -> Fetched:
    """Fetch an http(s) reference (`text`, the cell `url` stripped) by the first link source that
    claims it: a plugin's, then a video page, a Drive share link, or a direct download."""
    source = next((s for s in link_sources() if s.claims(text)), None)
    if source is None:  # only when the built-in sources are not installed
        return failed_row(row, url, "", f"{text}: no installed link source takes this link")
    return source.fetch(LinkRequest(row, url, text, cache_dir, cfg, session))


def fetch_page_link(request: LinkRequest) -> Fetched:
    """A social video page's video, by yt-dlp."""
    return _fetch_page(request.row, request.url, request.text, request.cache_dir, request.cfg)


def is_drive_link(link: str) -> bool:
    return drive_download_url(link, "") is not None


def fetch_drive_link(request: LinkRequest) -> Fetched:
    """A Google Drive share link's file, from its direct download under fetch.google_drive_base."""
    direct = drive_download_url(request.text, request.cfg.google_drive_base)
    return _fetch_drive(request.row, request.url, direct, request.cache_dir, request.cfg, request.session)


def is_http_link(link: str) -> bool:
    parts = urlsplit(link)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def fetch_http_link(request: LinkRequest) -> Fetched:
    """A direct download, handed to yt-dlp when it answers with a web page."""
    row, url, text, cache_dir, cfg = request.row, request.url, request.text, request.cache_dir, request.cfg
    got = fetch_http(row, url, text, cache_dir, cfg, request.session)
    return _fetch_page(row, url, text, cache_dir, cfg, web_page=got) if _is_page(got) else got


def _is_page(got: Fetched) -> bool:
    return got.path is not None and is_web_page(got.path)


def _fetch_drive(
    row: int, url: str, direct: str, cache_dir: Path, cfg: FetchConfig, session: requests.Session | None
) -> Fetched:
    """Download a Drive file from its direct link, through Drive's virus-scan warning if it comes."""
    got = fetch_http(row, url, direct, cache_dir, cfg, session)
    if _is_page(got):
        confirm = drive_confirm_url(got.path.read_text(encoding="utf-8", errors="replace"), direct)
        if confirm is not None:
            got = fetch_http(row, url, confirm, cache_dir, cfg, session)
    if _is_page(got):
        return failed_row(row, url, "google_drive", f"{url}: Google Drive answered with a web page, not the file, "
                                                 f"so the file is not shared or the link is wrong; {SHARE_HINT}")
    return replace(got, source="google_drive")


def _fetch_page(row: int, url: str, text: str, cache_dir: Path, cfg: FetchConfig,
                web_page: Fetched | None = None) -> Fetched:
    """The video on the page `text`, by yt-dlp. `web_page` is the page itself as fetched, kept as
    the result where yt-dlp is missing or finds no video in it."""
    known = lookup_url(cache_dir, PAGE_KEY + text, "")
    if known is not None:
        return Fetched(row, url, known, known.name[:64], Status.OK, "", "yt-dlp")
    yt_dlp = _yt_dlp()
    if yt_dlp is None:
        return web_page or failed_row(row, url, "yt-dlp", f"{text} is a video page, not a video file; {INSTALL_HINT}")
    try:
        sha256, path = _download_page(yt_dlp, text, cache_dir, cfg)
    except NoVideoFound as e:
        return web_page or failed_row(row, url, "yt-dlp", str(e))
    except FetchError as e:
        return failed_row(row, url, "yt-dlp", str(e))
    remember_url(cache_dir, PAGE_KEY + text, sha256)
    log.info("row %d: downloaded the video on %s (%s)", row, text, sha256[:12])
    return Fetched(row, url, path, sha256, Status.OK, "", "yt-dlp", downloaded=True)


def _yt_dlp() -> ModuleType | None:
    """The yt_dlp module, or None where the `social` extra is not installed."""
    try:
        import yt_dlp
    except ImportError:
        return None
    return yt_dlp


def _download_page(yt_dlp: ModuleType, url: str, cache_dir: Path, cfg: FetchConfig) -> tuple[str, Path]:
    """yt-dlp downloads the page's video into a scratch folder inside the cache; the file then moves
    into its content-addressed place. Returns its sha256 and cached path."""
    folder = cache_dir / "videos"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".yt-dlp-") as scratch:
        messages = _Messages()
        try:
            with yt_dlp.YoutubeDL(_options(yt_dlp, Path(scratch), cfg, messages)) as ydl:
                ydl.extract_info(url, download=True)
        except yt_dlp.utils.DownloadCancelled as e:  # raised by the size guard
            raise FetchError(f"{url}: {e}") from e
        except yt_dlp.utils.DownloadError as e:
            reason = str(e).removeprefix("ERROR: ")
            if "timed out" in reason:
                reason += f"; fetch.read_timeout is {cfg.read_timeout} s"
            cause = e.exc_info[1] if e.exc_info else None
            if isinstance(cause, yt_dlp.utils.UnsupportedError):
                raise NoVideoFound(f"{url}: yt-dlp found no video on the page ({reason})") from e
            raise FetchError(f"{url}: yt-dlp could not download the video ({reason})") from e
        saved = [p for p in Path(scratch).iterdir() if p.suffix not in (".part", ".ytdl")]
        if not saved:
            raise FetchError(f"{url}: yt-dlp saved no video ({messages.last}); videos over fetch.max_bytes "
                             f"({cfg.max_bytes} bytes) are skipped")
        video = saved[0].rename(saved[0].with_suffix(""))  # no extension: see the module docstring
        try:
            return store_local(video, cache_dir)
        except FetchError as e:
            raise FetchError(f"{url}: {e}") from e


def _options(yt_dlp: ModuleType, folder: Path, cfg: FetchConfig, messages: _Messages) -> dict[str, Any]:
    """yt-dlp's settings, carrying fetch's size, time and retry limits."""

    def backoff(attempt: int) -> float:
        return cfg.backoff * 2**attempt

    def size_guard(progress: dict[str, Any]) -> None:
        """Stop a download whose declared or received size passes fetch.max_bytes."""
        size = max(progress.get("total_bytes") or 0, progress.get("downloaded_bytes") or 0)
        if size > cfg.max_bytes:
            raise yt_dlp.utils.DownloadCancelled(
                f"the video is larger than {cfg.max_bytes} bytes (fetch.max_bytes); the download was stopped")

    return {
        "outtmpl": str(folder / "video.%(ext)s"),
        "format": PAGE_FORMAT,
        "format_sort": PAGE_SORT,
        "noplaylist": True,
        "playlist_items": "1",  # a page holding several videos: its first
        "max_filesize": cfg.max_bytes,
        "progress_hooks": [size_guard],
        "socket_timeout": cfg.read_timeout,  # yt-dlp has one timeout, for connecting and reading alike
        "retries": cfg.retries,
        "fragment_retries": cfg.retries,
        "extractor_retries": cfg.retries,
        "retry_sleep_functions": {"http": backoff, "fragment": backoff, "extractor": backoff},
        "logger": messages,
        "quiet": True,
        "noprogress": True,
        "cachedir": False,
    }


class _Messages:
    """yt-dlp's logger: every message goes to this module's debug log; the last is kept to explain
    a download that saved nothing."""

    def __init__(self) -> None:
        self.last = "no reason given"

    def debug(self, message: str) -> None:
        log.debug("yt-dlp: %s", message)
        if message.strip():
            self.last = message.strip()

    info = warning = error = debug
