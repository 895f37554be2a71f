"""The built-in link sources (links.py), registered like a plugin's and asked after every plugin's
(`trylast`), in this order: a social video page, a Google Drive share link, any other http(s) link."""
from __future__ import annotations

from influencer_kit.acquire.links import (
    fetch_drive_link,
    fetch_http_link,
    fetch_page_link,
    is_drive_link,
    is_http_link,
    is_page_url,
)
from influencer_kit.plugin import LinkSource, hookimpl


@hookimpl(trylast=True)
def ik_link_sources() -> list[LinkSource]:
    return [
        LinkSource("yt-dlp", is_page_url, fetch_page_link,
                   examples=("https://www.youtube.com/watch?v=aqz-KE-bpKQ", "https://www.tiktok.com/@user/video/1")),
        LinkSource("google_drive", is_drive_link, fetch_drive_link,
                   examples=("https://drive.google.com/file/d/1AbC-d_9/view?usp=sharing",
                             "https://drive.google.com/open?id=1AbC-d_9")),
        LinkSource("http", is_http_link, fetch_http_link, examples=("https://example.com/videos/v.mp4",)),
    ]
