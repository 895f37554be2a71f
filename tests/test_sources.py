"""Inputs where users keep them (influencer_kit.acquire.links): link rewriting on real link shapes, then a
local server that imitates Google's sheet export, Drive's downloads and a web page with a <video>,
reached through the production code path with only the Google base URLs pointed at it."""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import openpyxl
import pandas as pd
import pytest
from conftest import CountingServer, RouteHandler, run_cli, run_python_without

from influencer_kit.acquire.download import FetchConfig
from influencer_kit.acquire.fetch import fetch, fetch_all
from influencer_kit.acquire.links import (
    INSTALL_HINT,
    drive_confirm_url,
    drive_download_url,
    is_page_url,
    resolve_sheet,
    sheet_export,
)
from influencer_kit.errors import InputError
from influencer_kit.inputs.sheet import read_sheet
from influencer_kit_samples.photos import grace_hopper
from influencer_kit_samples.videos import face_clip, write_video

SHEET_ID = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"
PRIVATE_SHEET_ID = "1PrivAteShEEt0nly4MeXXXXXXXXXXXXXXXXXXXXXXXX"
OTHER_TAB_GID = "1386834576"
DRIVE_SMALL = "1nPZ0wpaXYk0aBcD-eFgH_iJkLmNoPqRs"
DRIVE_BIG = "1BiGfIlEtOoLaRgEfOrViRuSsCaN_xYz0"
DRIVE_PRIVATE = "1pRiVaTeFiLe-nOtShArEd_000000000"
CONFIRM_UUID = "153b954f-b486-4de3-8fad-3b9d86bd6525"
CLIPS = ("direct", "drive_small", "drive_big", "page", "local", "stream", "stall")
STALL_S = 3.0

SIGN_IN = b"""<!DOCTYPE html><html lang="en"><head><title>Google Sheets - Sign in</title></head><body>
<form action="/signin/v2/identifier" method="post"><input type="email" name="identifier">
<input type="password" name="Passwd"></form></body></html>"""


def page_with_video(src: str) -> bytes:
    return (f'<!DOCTYPE html><html><head><title>A post</title></head><body><h1>Our new post</h1>'
            f'<video controls width="320"><source src="{src}" type="video/mp4"></video></body></html>').encode()


def drive_warning(base: str) -> bytes:
    """Drive's page for a file too large to scan, as drive.google.com serves it (abridged)."""
    return f"""<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body>
<div class="uc-main"><p class="uc-warning-caption">Google Drive can't scan this file for viruses.</p>
<p class="uc-warning-subcaption"><span class="uc-name-size"><a href="/open?id={DRIVE_BIG}">post.mp4</a>
(212M)</span> is too large for Google to scan for viruses. Would you still like to download this file?</p>
<form id="download-form" action="{base}/download" method="get">
<input type="submit" id="uc-download-link" class="goog-inline-block jfk-button" value="Download anyway"/>
<input type="hidden" name="id" value="{DRIVE_BIG}"><input type="hidden" name="export" value="download">
<input type="hidden" name="confirm" value="t"><input type="hidden" name="uuid" value="{CONFIRM_UUID}">
</form></div></body></html>""".encode()


def workbook(*tabs: tuple[str, list[list[object]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in tabs:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    data = BytesIO()
    book.save(data)
    return data.getvalue()


class GoogleLike(CountingServer):
    """Serves what Google and the web answer."""

    def __init__(self, clips: dict[str, bytes]) -> None:
        super().__init__(Handler)
        self.clips = clips
        self.tabs: dict[str, tuple[str, list[list[object]]]] = {}  # gid -> (title, rows)


class Handler(RouteHandler):
    """Google's sheet export and sign-in page, Drive's downloads, posts with a <video> and their media."""

    server: GoogleLike

    def route(self, path: str, hits: int) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        clips, base = self.server.clips, self.server.base
        if path == f"/spreadsheets/d/{SHEET_ID}/export":
            self.sheet_export(query)
        elif path == f"/spreadsheets/d/{PRIVATE_SHEET_ID}/export" or query.get("id") == DRIVE_PRIVATE:
            self.redirect(f"/ServiceLogin?{urlencode({'service': 'wise', 'continue': base + self.path})}")
        elif path == "/ServiceLogin":
            self.reply(200, SIGN_IN, "text/html; charset=utf-8")
        elif path == "/uc" and query.get("export") == "download" and query.get("id") == DRIVE_SMALL:
            self.reply(200, clips["drive_small"], "video/mp4")
        elif path == "/uc" and query.get("export") == "download" and query.get("id") == DRIVE_BIG:
            self.reply(200, drive_warning(base), "text/html; charset=utf-8")
        elif path == "/download" and query == {"id": DRIVE_BIG, "export": "download", "confirm": "t",
                                               "uuid": CONFIRM_UUID}:
            self.reply(200, clips["drive_big"], "video/mp4")
        elif path == "/direct/post-a":
            self.reply(200, clips["direct"], "video/mp4")
        elif path.startswith("/post/"):
            self.reply(200, page_with_video(f"/media/{path[6:]}.mp4"), "text/html; charset=utf-8")
        elif path == "/login":
            self.reply(200, SIGN_IN, "text/html; charset=utf-8")
        elif path == "/media/stream.mp4":
            self.reply(200, clips["stream"], "video/mp4", content_length=None)
        elif path == "/media/stall.mp4":
            time.sleep(STALL_S)
            self.reply(200, clips["stall"], "video/mp4")
        elif path.startswith("/media/") and path[7:-4] in clips:
            self.reply(200, clips[path[7:-4]], "video/mp4")
        else:
            self.reply(404, b"<html><body>Not Found</body></html>", "text/html")

    def sheet_export(self, query: dict[str, str]) -> None:
        """Google's export: .xlsx holds every tab whatever the gid; .csv is the gid's tab only."""
        tabs = self.server.tabs
        if query.get("format") == "xlsx":
            self.reply(200, workbook(*tabs.values()),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        elif query.get("format") == "csv" and query.get("gid") in tabs:
            _, rows = tabs[query["gid"]]
            self.reply(200, pd.DataFrame(rows[1:], columns=rows[0]).to_csv(index=False).encode(), "text/csv")
        else:
            self.reply(400, b"<html><body>Bad Request</body></html>", "text/html")


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A different small clip of Grace Hopper per way of reaching one."""
    folder = tmp_path_factory.mktemp("clips")
    face = grace_hopper()
    return {name: write_video(folder / f"{name}.mp4", face_clip([face], 6, size=(320, 240), seed=i)).read_bytes()
            for i, name in enumerate(CLIPS)}


@pytest.fixture
def google(clips: dict[str, bytes], serve_routes: Callable[[GoogleLike], GoogleLike]) -> GoogleLike:
    return serve_routes(GoogleLike(clips))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def config(server: GoogleLike, **limits: object) -> FetchConfig:
    settings = {"connect_timeout": 2.0, "read_timeout": 2.0, "retries": 0, "backoff": 0.01, "workers": 2, **limits}
    return FetchConfig(google_sheets_base=server.base, google_drive_base=server.base, **settings)


# ---------------------------------------------------------------- link rules, on real link shapes

SHEETS = "https://docs.google.com"
EXPORT = f"{SHEETS}/spreadsheets/d/{SHEET_ID}/export"


@pytest.mark.parametrize("link, url, file_name", [
    (f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit?usp=sharing", f"{EXPORT}?format=xlsx",
     f"{SHEET_ID}.xlsx"),
    (f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit", f"{EXPORT}?format=xlsx", f"{SHEET_ID}.xlsx"),
    (f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit#gid=0", f"{EXPORT}?format=csv&gid=0",
     f"{SHEET_ID}-gid0.csv"),
    (f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit?gid=123#gid=123", f"{EXPORT}?format=csv&gid=123",
     f"{SHEET_ID}-gid123.csv"),
    (f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit?usp=sharing&gid=123", f"{EXPORT}?format=csv&gid=123",
     f"{SHEET_ID}-gid123.csv"),
    (f"https://docs.google.com/spreadsheets/u/1/d/{SHEET_ID}/edit?usp=drive_web&ouid=10593", f"{EXPORT}?format=xlsx",
     f"{SHEET_ID}.xlsx"),
    (f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/htmlview#gid=44", f"{EXPORT}?format=csv&gid=44",
     f"{SHEET_ID}-gid44.csv"),
    ("https://docs.google.com/spreadsheets/d/e/2PACX-1vRn8_xQ-abc/pubhtml",
     f"{SHEETS}/spreadsheets/d/e/2PACX-1vRn8_xQ-abc/pub?output=xlsx", "2PACX-1vRn8_xQ-abc.xlsx"),
    ("https://docs.google.com/spreadsheets/d/e/2PACX-1vRn8_xQ-abc/pubhtml?gid=7&single=true",
     f"{SHEETS}/spreadsheets/d/e/2PACX-1vRn8_xQ-abc/pub?gid=7&single=true&output=csv", "2PACX-1vRn8_xQ-abc-gid7.csv"),
])
def test_sheets_links_become_their_export(link: str, url: str, file_name: str) -> None:
    export = sheet_export(link, SHEETS)
    assert (export.url, export.file_name) == (url, file_name)
    local = sheet_export(link, "http://127.0.0.1:8000/")
    assert local.url == url.replace(SHEETS, "http://127.0.0.1:8000")


def test_a_tab_chosen_by_name_takes_the_whole_workbook() -> None:
    link = f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit#gid=123"
    assert sheet_export(link, SHEETS, tab_named=True).url == f"{EXPORT}?format=xlsx"


@pytest.mark.parametrize("link", [
    f"https://docs.google.com/document/d/{SHEET_ID}/edit", f"https://drive.google.com/file/d/{SHEET_ID}/view",
    f"https://example.com/spreadsheets/d/{SHEET_ID}/edit", "posts.xlsx",
])
def test_other_links_are_not_sheets(link: str) -> None:
    assert sheet_export(link, SHEETS) is None


DRIVE = "https://drive.google.com"


@pytest.mark.parametrize("link, file_id", [
    (f"https://drive.google.com/file/d/{DRIVE_SMALL}/view?usp=sharing", DRIVE_SMALL),
    (f"https://drive.google.com/file/d/{DRIVE_SMALL}/view?usp=drive_link", DRIVE_SMALL),
    (f"https://drive.google.com/file/d/{DRIVE_SMALL}/preview", DRIVE_SMALL),
    (f"https://drive.google.com/file/d/{DRIVE_SMALL}", DRIVE_SMALL),
    (f"https://drive.google.com/file/u/0/d/{DRIVE_SMALL}/view", DRIVE_SMALL),
    (f"https://drive.google.com/open?id={DRIVE_SMALL}", DRIVE_SMALL),
    (f"https://drive.google.com/open?id={DRIVE_SMALL}&authuser=0", DRIVE_SMALL),
    (f"https://drive.google.com/uc?id={DRIVE_SMALL}&export=download", DRIVE_SMALL),
    (f"https://docs.google.com/file/d/{DRIVE_SMALL}/edit", DRIVE_SMALL),
])
def test_drive_share_links_become_direct_downloads(link: str, file_id: str) -> None:
    assert drive_download_url(link, DRIVE) == f"{DRIVE}/uc?export=download&id={file_id}"
    assert drive_download_url(link, "http://127.0.0.1:9/") == f"http://127.0.0.1:9/uc?export=download&id={file_id}"


def test_a_drive_resource_key_is_kept() -> None:
    link = f"https://drive.google.com/file/d/{DRIVE_SMALL}/view?usp=sharing&resourcekey=0-AbCdEf"
    assert drive_download_url(link, DRIVE) == f"{DRIVE}/uc?export=download&id={DRIVE_SMALL}&resourcekey=0-AbCdEf"


@pytest.mark.parametrize("link", [
    "https://drive.google.com/drive/folders/1AbCdEfGh?usp=sharing", "https://drive.google.com/open",
    f"https://example.com/file/d/{DRIVE_SMALL}/view", f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit",
])
def test_other_links_are_not_drive_files(link: str) -> None:
    assert drive_download_url(link, DRIVE) is None


@pytest.mark.parametrize("link", [
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s", "https://youtu.be/dQw4w9WgXcQ?si=Xy12_ab",
    "https://www.youtube.com/shorts/aBcDeFgHiJk", "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://www.tiktok.com/@someone/video/7312345678901234567?is_from_webapp=1&sender_device=pc",
    "https://vm.tiktok.com/ZMabcdEf/", "https://www.instagram.com/reel/C8xYz12AbCd/?igsh=MTc4",
    "https://www.instagram.com/p/C8xYz12AbCd/", "https://www.facebook.com/watch/?v=1234567890",
    "https://fb.watch/abcDEF123/", "https://x.com/someone/status/1790000000000000000",
    "https://vimeo.com/123456789",
])
def test_social_video_pages_go_to_yt_dlp(link: str) -> None:
    assert is_page_url(link)


@pytest.mark.parametrize("link", [
    "https://fgimagestorage.blob.core.windows.net/facebook-assets/hd-999607261342550",
    "https://v16-webapp-prime.tiktok.com/video/tos/useast2a/abc/clip.mp4?expire=1", "https://cdn.example.com/a.MOV",
    "https://notyoutube.com/watch?v=1",
])
def test_files_and_other_hosts_do_not(link: str) -> None:
    assert not is_page_url(link)


def test_drive_warning_page_gives_its_download_form() -> None:
    page = drive_warning("https://drive.usercontent.google.com").decode()
    assert drive_confirm_url(page, f"{DRIVE}/uc?export=download&id={DRIVE_BIG}") == (
        f"https://drive.usercontent.google.com/download?id={DRIVE_BIG}&export=download&confirm=t&uuid={CONFIRM_UUID}")
    assert drive_confirm_url(SIGN_IN.decode(), f"{DRIVE}/uc?export=download&id={DRIVE_BIG}") is None


# ---------------------------------------------------------------- the sheet, from a Google-like server

POSTS = ("Posts", [["Video URL", "Performance"], ["https://a.example/1", 1.5], ["https://a.example/2", 2.5]])
OTHER = ("Other", [["Video URL", "Performance"], ["https://b.example/9", 9.0]])


def test_a_link_gives_the_first_tab_and_a_gid_picks_its_tab(google: GoogleLike, tmp_path: Path) -> None:
    google.tabs = {"0": POSTS, OTHER_TAB_GID: OTHER}
    cfg = config(google)
    link = f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit?usp=sharing"
    whole = resolve_sheet(link, tmp_path, cfg)
    assert whole == tmp_path / "sheets" / f"{SHEET_ID}.xlsx"
    assert [r.url for r in read_sheet(whole).rows] == ["https://a.example/1", "https://a.example/2"]
    tab = resolve_sheet(f"{link.replace('?usp=sharing', '')}?gid={OTHER_TAB_GID}#gid={OTHER_TAB_GID}", tmp_path, cfg)
    assert [(r.url, r.performance) for r in read_sheet(tab).rows] == [("https://b.example/9", 9.0)]
    named = resolve_sheet(f"{link}#gid={OTHER_TAB_GID}", tmp_path, cfg, sheet="Other")
    assert [r.url for r in read_sheet(named, "Other").rows] == ["https://b.example/9"]
    assert sorted(p.name for p in (tmp_path / "sheets").iterdir()) == sorted(
        [f"{SHEET_ID}.xlsx", f"{SHEET_ID}-gid{OTHER_TAB_GID}.csv"])  # no scratch left behind


def test_the_sheet_is_downloaded_afresh_each_run(google: GoogleLike, tmp_path: Path) -> None:
    google.tabs = {"0": POSTS}
    link = f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit"
    resolve_sheet(link, tmp_path, config(google))
    google.tabs = {"0": OTHER}
    assert [r.url for r in read_sheet(resolve_sheet(link, tmp_path, config(google))).rows] == ["https://b.example/9"]


def test_over_the_size_limit_a_sheet_is_refused(google: GoogleLike, tmp_path: Path) -> None:
    google.tabs = {"0": POSTS}
    with pytest.raises(InputError, match="fetch.max_bytes"):
        resolve_sheet(f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit", tmp_path,
                      config(google, max_bytes=100))


def test_a_web_address_that_is_not_a_sheet_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a Google Sheets link"):
        resolve_sheet("https://example.com/posts", tmp_path, FetchConfig())
    assert resolve_sheet("~/posts.xlsx", tmp_path, FetchConfig()) == (Path.home() / "posts.xlsx").resolve()


def test_cli_says_an_unshared_sheet_is_not_shared(google: GoogleLike, tmp_path: Path) -> None:
    link = f"https://docs.google.com/spreadsheets/d/{PRIVATE_SHEET_ID}/edit?usp=sharing"
    done = run_cli([f"data.path='{link}'", f"fetch.google_sheets_base={google.base}", f"output.dir={tmp_path / 'out'}",
                    f"cache.dir={tmp_path / 'cache'}", "tracking.enabled=false"], cwd=tmp_path, timeout=300)
    assert done.returncode != 0, done.stderr[-2000:]
    assert f"the Google Sheet {link} is not shared: Google answered with a sign-in page" in done.stderr
    assert "Anyone with the link" in done.stderr and "Traceback" not in done.stderr
    assert google.hits["/ServiceLogin"] == 1
    assert not (tmp_path / "out" / "ProcessedVideos_videos.xlsx").exists()


# ---------------------------------------------------------------- videos, by every rule


def test_fetch_by_every_rule_then_again_from_the_cache(google: GoogleLike, clips: dict[str, bytes],
                                                       tmp_path: Path) -> None:
    urls = [f"{google.base}/direct/post-a", f"https://drive.google.com/file/d/{DRIVE_SMALL}/view?usp=sharing",
            f"https://drive.google.com/open?id={DRIVE_BIG}", f"{google.base}/post/page"]
    items = list(enumerate(urls, start=1))
    first = fetch_all(items, tmp_path, tmp_path / "cache", config(google), progress=False)
    assert [(f.status, f.source, f.downloaded) for f in first] == [
        ("ok", "http", True), ("ok", "google_drive", True), ("ok", "google_drive", True), ("ok", "yt-dlp", True)]
    assert [f.sha256 for f in first] == [sha(clips[n]) for n in ("direct", "drive_small", "drive_big", "page")]
    assert all(f.path.read_bytes() == clips[n] for f, n in zip(first, ("direct", "drive_small", "drive_big", "page")))
    assert google.hits["/download"] == 1 and google.hits["/media/page.mp4"] == 1
    hits = sum(google.hits.values())
    again = fetch_all(items, tmp_path, tmp_path / "cache", config(google), progress=False)
    assert [(f.status, f.source, f.sha256, f.downloaded) for f in again] == [
        (f.status, f.source, f.sha256, False) for f in first]
    assert sum(google.hits.values()) == hits  # nothing went over the network
    assert not list((tmp_path / "cache" / "videos").glob(".*"))  # no scratch left in the cache


def test_a_page_without_a_video_stays_a_web_page(google: GoogleLike, tmp_path: Path) -> None:
    got = fetch(1, f"{google.base}/login", tmp_path, tmp_path / "cache", config(google))
    assert (got.status, got.source) == ("ok", "http")
    assert got.path.read_bytes() == SIGN_IN  # so the row ends as decode_error, "got a web page"


def test_an_unshared_drive_file_is_a_download_error(google: GoogleLike, tmp_path: Path) -> None:
    got = fetch(1, f"https://drive.google.com/file/d/{DRIVE_PRIVATE}/view", tmp_path, tmp_path / "cache",
                config(google))
    assert (got.status, got.source, got.path) == ("download_error", "google_drive", None)
    assert "not shared" in got.error and "Anyone with the link" in got.error


@pytest.mark.parametrize("page, limits, words", [
    ("page", {"max_bytes": 4096}, ["fetch.max_bytes", "4096"]),  # Content-Length declared
    ("stream", {"max_bytes": 4096}, ["fetch.max_bytes", "stopped"]),  # no Content-Length
    ("stall", {"read_timeout": 0.5}, ["timed out", "fetch.read_timeout"]),
])
def test_yt_dlp_keeps_to_the_fetch_limits(google: GoogleLike, tmp_path: Path, page: str,
                                          limits: dict[str, object], words: list[str]) -> None:
    got = fetch(1, f"{google.base}/post/{page}", tmp_path, tmp_path / "cache", config(google, **limits))
    assert (got.status, got.source, got.path) == ("download_error", "yt-dlp", None)
    assert all(word in got.error for word in words), got.error
    assert not list((tmp_path / "cache" / "videos").glob(".yt-dlp-*"))


FETCH_PAGES = """
import json, sys
from pathlib import Path
from influencer_kit.acquire.download import FetchConfig
from influencer_kit.acquire.fetch import fetch
folder, base = Path(sys.argv[1]), sys.argv[2]
cfg = FetchConfig(connect_timeout=2, read_timeout=2, retries=0)
for url in ("https://www.instagram.com/reel/C8xYz12AbCd/?igsh=MTc4", base + "/post/page"):
    got = fetch(1, url, folder, folder / "cache", cfg)
    print(json.dumps([got.status, got.source, got.error, got.path and got.path.read_bytes()[:15].decode()]))
"""


def test_without_the_social_extra_pages_say_how_to_install_it(google: GoogleLike, tmp_path: Path) -> None:
    done = run_python_without("yt_dlp", FETCH_PAGES, [str(tmp_path), google.base], timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    social, page = (json.loads(line) for line in done.stdout.splitlines())
    assert social[:2] == ["download_error", "yt-dlp"] and INSTALL_HINT in social[2]
    assert "pip install 'influencer-kit[social]'" in social[2]
    assert page == ["ok", "http", "", "<!DOCTYPE html>"]  # the page itself: decode_error later
    assert google.hits["/media/page.mp4"] == 0


# ---------------------------------------------------------------- the whole product


@pytest.mark.slow
def test_cli_reads_a_google_sheet_of_every_kind_of_link(google: GoogleLike, clips: dict[str, bytes],
                                                        tmp_path: Path) -> None:
    local = tmp_path / "videos" / "local clip.mp4"
    local.parent.mkdir()
    local.write_bytes(clips["local"])
    rows = [
        (f"{google.base}/direct/post-a", "http", "ok", clips["direct"]),
        (f"https://drive.google.com/file/d/{DRIVE_SMALL}/view?usp=sharing", "google_drive", "ok", clips["drive_small"]),
        (f"https://drive.google.com/open?id={DRIVE_BIG}", "google_drive", "ok", clips["drive_big"]),
        (f"{google.base}/post/page", "yt-dlp", "ok", clips["page"]),
        (f"{google.base}/login", "http", "decode_error", SIGN_IN),
        (f"https://drive.google.com/file/d/{DRIVE_PRIVATE}/view", "google_drive", "download_error", None),
        (local.as_uri(), "file", "ok", clips["local"]),
        (str(local), "local", "ok", clips["local"]),
    ]  # the link, then the row's source, status and video bytes
    google.tabs = {"0": ("Posts", [["Video URL", "Performance"]] + [[url, i] for i, (url, *_) in enumerate(rows)])}
    link = f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit?usp=sharing"
    out = tmp_path / "out"
    done = run_cli([f"data.path='{link}'", f"fetch.google_sheets_base={google.base}",
                    f"fetch.google_drive_base={google.base}", f"output.dir={out}", f"cache.dir={tmp_path / 'cache'}",
                    "tracking.enabled=false", "output.progress=false", "frames_per_video=4", "executor.workers=1"],
                   cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    videos = pd.read_excel(out / "ProcessedVideos_videos.xlsx", dtype={"video_sha256": str}, keep_default_na=False)
    assert list(videos["Video URL"]) == [url for url, *_ in rows]
    assert list(videos["source"]) == [source for _, source, *_ in rows]
    assert list(videos["status"]) == [status for _, _, status, _ in rows], list(videos["error"])
    assert list(videos["video_sha256"]) == [sha(data) if data else "" for *_, data in rows]
    assert "web page" in videos["error"][4] and "not shared" in videos["error"][5]
    assert videos["duplicate_of"][7] == 7
    assert videos.loc[videos["status"] == "ok", "influencer"].nunique() == 1  # one person throughout
