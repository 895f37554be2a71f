"""`report.html`: the ranking, a card per influencer with their faces, the mean-vs-spread plot, the
rows whose influencer was a close call and the rows that failed, in one file that opens offline
(every image is a data URI inside it).

Every cell of the input is untrusted: text is escaped, only http(s) and file links become links,
and a Content-Security-Policy lets the page load nothing from outside and run only its own script.
"""
from __future__ import annotations

import base64
import hashlib
import html
import io
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from PIL import Image

from influencer_kit import __version__

from influencer_kit.ranking import ranking
from influencer_kit.atomic import write_atomic
from influencer_kit.model import Result
from influencer_kit.inputs.cells import resolve_path
from influencer_kit.people.grouping import best_face
from influencer_kit.outputs.folders import first_rows
from influencer_kit.outputs.tradeoff_chart import FONT, GRID, INK, MUTED, tradeoff_svg

PORTRAIT_PX = 240  # stored size of the representative face (shown at half, sharp on HiDPI screens)
STRIP_PX = 128  # stored size of the per-video crops
STRIP_MAX = 12  # crops per card, one per video
# Past these, the page shows a summary and points to the workbooks, so it stays small at any size
PAGE = 200  # ranking rows per page; the first page has face thumbnails, later pages (collapsed) do not
CARDS_MAX = 200  # influencers with a full card (with faces); the rest are listed without faces
CARD_ROWS = 20  # video rows listed on a card
EXAMPLES = 5  # example rows shown per kind of failure
CLOSE_CALLS_MAX = 200  # close-call rows listed

# Counts cards and images that did not load, so that a browser (or a test) can tell a broken page.
CHECK_SCRIPT = """window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (img) { return !(img.complete && img.naturalWidth > 0); });
  broken.forEach(function (img) { img.classList.add("broken"); });
  document.body.dataset.images = images.length;
  document.body.dataset.brokenImages = broken.length;
  document.body.dataset.cards = document.querySelectorAll("[data-influencer]").length;
});"""

STYLE = f"""
:root {{ --ink: {INK}; --muted: {MUTED}; --line: {GRID}; --accent: #2a6fdb; --bad: #c0392b; --bg: #f5f7fa; }}
* {{ box-sizing: border-box; }}
body {{ margin: 0; font: 15px/1.45 {FONT}; color: var(--ink); background: var(--bg); }}
""" + """main { max-width: 1200px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
h3 { font-size: 17px; margin: 0 0 6px; }
a { color: var(--accent); }
.sub, .note, .muted { color: var(--muted); }
.note { font-size: 13px; }
nav a { margin-right: 16px; }
.tiles { display: flex; gap: 12px; flex-wrap: wrap; margin: 16px 0 8px; }
.tile { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 130px; }
.tile b { display: block; font-size: 24px; }
.tile.bad b { color: var(--bad); }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: middle; }
th { background: #eef2f7; font-size: 13px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.face img { width: 40px; height: 40px; object-fit: cover; border-radius: 50%; display: block; }
td.url { width: 32%; overflow-wrap: anywhere; }
.plot img { max-width: 100%; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 16px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px; }
.card-head { display: flex; gap: 16px; }
.portrait { width: 120px; height: 120px; object-fit: cover; border-radius: 8px; flex: none; }
.no-face { width: 120px; height: 120px; border-radius: 8px; background: var(--line); flex: none; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 13px; color: #fff;
         background: var(--accent); }
.badge.off { background: var(--muted); }
.name { color: var(--muted); font-weight: normal; }
dl.metrics { display: grid; grid-template-columns: repeat(3, auto); gap: 4px 18px; margin: 8px 0 0; }
dl.metrics div { min-width: 0; }
dl.metrics dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
dl.metrics dd { margin: 0; font-size: 17px; font-variant-numeric: tabular-nums; }
.strip { display: flex; gap: 6px; flex-wrap: wrap; margin: 14px 0 6px; }
.strip figure { margin: 0; text-align: center; font-size: 11px; color: var(--muted); }
.strip img { width: 64px; height: 64px; object-fit: cover; border-radius: 6px; display: block; }
ul.videos { margin: 6px 0 0; padding-left: 18px; font-size: 13px; overflow-wrap: anywhere; }
details summary { cursor: pointer; font-size: 14px; }
details.page { margin-top: 8px; }
#failed h3 { margin: 16px 0 6px; }
.status { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; color: var(--bad); }
img.broken { outline: 3px solid var(--bad); }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
"""


def esc(value: Any) -> str:
    """Text for HTML; missing values are empty."""
    return "" if _missing(value) else html.escape(str(value), quote=True)


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def number(value: Any, digits: int = 2) -> str:
    """A statistic for people: fixed decimals, thousands separated, a dash when unknown."""
    if _missing(value):
        return "–"
    return f"{float(value):,.{digits}f}"


def video_links(videos: pd.DataFrame, url_column: str, base_dir: Path) -> list[str | None]:
    """Where each row's video cell points, as a link a browser or Excel opens, or None where fetch
    found no valid reference (`invalid_url`: another scheme, no host, a file:// of another host).
    A local path is taken from `base_dir`, the spreadsheet's folder, as fetch does."""
    links: list[str | None] = []
    for url, source, status in zip(videos[url_column], videos["source"], videos["status"]):
        if _missing(url) or status == "invalid_url" or source not in ("http", "file", "local"):
            links.append(None)
        else:
            text = str(url).strip()
            links.append(text if source != "local" else resolve_path(text, base_dir).resolve().as_uri())
    return links


def thumbnail(image: bytes, size: int, image_format: str = "JPEG") -> bytes:
    """The image shrunk to fit `size` x `size` pixels (never enlarged), re-encoded."""
    with Image.open(io.BytesIO(image)) as picture:
        picture = picture.convert("RGB")
        picture.thumbnail((size, size))
        buffer = io.BytesIO()
        picture.save(buffer, format=image_format, quality=85)
    return buffer.getvalue()


def data_uri(image: bytes, mime: str = "image/jpeg") -> str:
    return f"data:{mime};base64,{base64.b64encode(image).decode()}"


def img(image: bytes | None, alt: str, css_class: str = "", size: int = STRIP_PX) -> str:
    """An <img> holding a thumbnail of `image`, or an empty placeholder when there is none."""
    if not image:
        return f'<div class="no-face" title="{esc(alt)}"></div>'
    return f'<img class="{css_class}" src="{data_uri(thumbnail(image, size))}" alt="{esc(alt)}">'


def link(href: str | None, text: str) -> str:
    """A link opening in a new tab, or plain text when there is nowhere to go; `text` is raw."""
    if not href:
        return esc(text)
    return f'<a href="{esc(href)}" target="_blank" rel="noopener noreferrer">{esc(text)}</a>'


def shorten(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 25] + "…" + text[-24:]


class ReportData:
    """What the report shows, gathered from a run's result: faces per influencer, rows per
    influencer, and a link per row."""

    def __init__(self, result: Result, out_dir: Path) -> None:
        self.result = result
        self.out_dir = out_dir
        videos = result.videos
        url_column = result.sheet.url_column
        self.links = video_links(videos, url_column, result.sheet.path.parent)
        self.urls = ["" if _missing(u) else str(u) for u in videos[url_column]]
        self.performance = videos[result.sheet.performance_column].tolist()
        self.main_rows: dict[str, list[int]] = defaultdict(list)  # person -> positions of rows they lead
        self.also_rows: dict[str, list[int]] = defaultdict(list)  # person -> rows they are in, beside another
        for i, (row, main, everyone) in enumerate(zip(videos["row"], videos["influencer"].fillna(""),
                                                     videos["influencers"].fillna("").astype(str))):
            if main:
                self.main_rows[str(main)].append(i)
            for person in everyone.split(";"):
                if person and person != main:
                    self.also_rows[person].append(int(row))
        self.first_row = first_rows(videos)
        best: dict[str, dict[str, int]] = defaultdict(dict)  # person -> video -> its best face's index
        for appearance in result.appearances:
            video = result.faces[appearance.video]
            face = best_face(appearance, video)
            kept = best[appearance.person].get(appearance.video)
            if kept is None or video.faces[face].quality > video.faces[kept].quality:  # one person, several groups
                best[appearance.person][appearance.video] = face
        self.crops = {person: sorted((int(self.first_row[video]), face) for video, face in by_video.items())
                      for person, by_video in best.items()}  # person -> (first row of the video, face index)
        self.row_video = {int(row): video for video, row in self.first_row.items()}
        self.closeness = result.metrics.set_index("influencer")  # face_spread, nearest_influencer, nearest_distance
        order = list(result.ranked["influencer"]) + list(result.unranked["influencer"])
        self.carded = set(order[:CARDS_MAX])  # people with a card: the first CARDS_MAX, best first
        self.faces = dict(zip(result.metrics["influencer"], result.metrics["representative_face"]))

    def portrait(self, person: str) -> bytes | None:
        """The person's representative face, read from the output folder."""
        relative = self.faces.get(person)
        path = self.out_dir / relative if isinstance(relative, str) and relative else None
        return path.read_bytes() if path is not None and path.is_file() else None

    def card_link(self, person: str, text: str | None = None) -> str:
        """`text` (default: the person's id), linking to the person's card where they have one."""
        text = person if text is None else text
        return f'<a href="#card-{esc(person)}">{esc(text)}</a>' if person in self.carded else esc(text)

    def strip(self, person: str) -> list[tuple[int, bytes]]:
        """One crop per video the person is in, in row order, at most `STRIP_MAX` (read from the
        face cache as the card is written)."""
        return [(row, self.result.faces[self.row_video[row]].crop_jpeg(face))
                for row, face in self.crops.get(person, [])[:STRIP_MAX]]

    def rows_of(self, person: str) -> pd.DataFrame:
        """Rows whose main person is `person`."""
        return self.result.videos.iloc[self.main_rows.get(person, [])]

    def also_in(self, person: str) -> list[int]:
        """Rows where `person` is seen but someone else is the main person."""
        return self.also_rows.get(person, [])


def write_report(result: Result, out_dir: Path, cfg: Any = None) -> Path:
    """Write `report.html` into `out_dir` (atomically) and return its path."""
    out_dir = Path(out_dir)
    path = out_dir / "report.html"
    write_atomic(path, render(result, out_dir, cfg).encode("utf-8"))
    return path


def render(result: Result, out_dir: Path, cfg: Any = None) -> str:
    """The whole page as text."""
    ranking_cfg = getattr(cfg, "ranking", None)
    data = ReportData(result, Path(out_dir))
    script_hash = base64.b64encode(hashlib.sha256(CHECK_SCRIPT.encode()).digest()).decode()
    policy = (f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
              f"script-src 'sha256-{script_hash}'")
    method = ranking.describe_method(ranking_cfg, result.metrics) if len(result.ranked) else ""
    people = [(row, int(row.rank)) for row in _with_metrics(result.ranked, result.metrics)]
    people += [(row, None) for row in result.unranked.itertuples(index=False)]
    cards = [card(data, row, rank) for row, rank in people[:CARDS_MAX]]
    body = "\n".join([
        header(result),
        '<nav><a href="#ranking">Ranking</a><a href="#tradeoff">Mean vs spread</a>'
        '<a href="#influencers">Influencers</a><a href="#close-calls">Close calls</a>'
        '<a href="#failed">Rows that failed</a></nav>',
        '<section id="ranking"><h2>Ranking</h2>',
        ranking_table(data, result.ranked, result.unranked,
                      ranking.RankingConfig.from_cfg(ranking_cfg).ci_level),
        f'<p class="note">Score: {esc(method)}. Click a name for the influencer\'s card.</p>' if method else "",
        "</section>",
        '<section id="tradeoff" class="plot"><h2>Mean performance vs spread</h2>',
        tradeoff_section(result, ranking_cfg),
        "</section>",
        f'<section id="influencers"><h2>Influencers ({len(people)})</h2>',
        f'<div class="cards">{"".join(cards)}</div>' if cards else '<p class="muted">No faces were found.</p>',
        more_influencers(people[CARDS_MAX:]),
        "</section>",
        close_calls_section(data, result.videos),
        failed_section(data, result.videos),
        f'<footer>Made by influencer-kit {esc(__version__)} on {datetime.now():%Y-%m-%d %H:%M} from '
        f'{esc(result.sheet.path)}.</footer>',
    ])
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        f"<title>Influencer report: {esc(result.sheet.path.name)}</title><style>{STYLE}</style></head>\n"
        f"<body><main>\n{body}\n</main><script>{CHECK_SCRIPT}</script></body></html>\n"
    )


def _with_metrics(ranked: pd.DataFrame, metrics: pd.DataFrame) -> list[Any]:
    """Ranked rows joined with their metrics columns (face_count, representative_face, ...)."""
    extra = [c for c in metrics.columns if c not in ranked.columns or c == "influencer"]
    return list(ranked.merge(metrics[extra], on="influencer", how="left").itertuples(index=False))


def header(result: Result) -> str:
    counts = result.videos["status"].value_counts()
    failed = int(len(result.videos) - counts.get("ok", 0))
    tiles = [
        ("rows", len(result.videos), ""),
        ("analysed ok", int(counts.get("ok", 0)), ""),
        ("failed", failed, "bad" if failed else ""),
        ("influencers", len(result.metrics), ""),
        ("ranked", len(result.ranked), ""),
    ]
    return (
        "<header><h1>Influencer report</h1>"
        f'<p class="sub">{esc(result.sheet.path.name)}: who appears in the videos and how their videos perform</p>'
        f'<p class="note" id="reading">Read with {esc(result.sheet.reading.describe())}.</p>'
        '<div class="tiles">'
        + "".join(f'<div class="tile {cls}"><b>{n}</b>{esc(label)}</div>' for label, n, cls in tiles)
        + "</div></header>"
    )


def _name(row: Any) -> str:
    name = getattr(row, "name", None)
    return "" if _missing(name) else str(name)


def ranking_table(data: ReportData, ranked: pd.DataFrame, unranked: pd.DataFrame, ci_level: float) -> str:
    """The ranking, `PAGE` rows at a time: the first page open with a face per row, the others
    collapsed (`<details>`) and without faces, so the page stays small with many influencers."""
    if ranked.empty:
        return '<p class="muted">Nobody is ranked.</p>'
    head = ('<tr><th class="num">Rank</th><th>Face</th><th>Influencer</th><th class="num">Score</th>'
            '<th class="num">Mean</th><th class="num">Std</th><th class="num">Videos</th>'
            f'<th class="num">Creatives</th><th class="num">{ci_level:.0%} interval of the mean</th></tr>')
    rows = []
    for k, row in enumerate(ranked.itertuples(index=False)):
        person = str(row.influencer)
        label = f"{person} ({_name(row)})" if _name(row) else person
        face = img(data.portrait(person), person, size=80) if k < PAGE else ""
        rows.append(
            f'<tr><td class="num">{int(row.rank)}</td><td class="face">{face}</td>'
            f'<td>{data.card_link(person, label)}</td>'
            f'<td class="num"><b>{number(row.score)}</b></td><td class="num">{number(row.mean_performance)}</td>'
            f'<td class="num">{number(row.std_performance)}</td><td class="num">{int(row.video_count)}</td>'
            f'<td class="num">{int(row.creative_count)}</td>'
            f'<td class="num">{number(row.ci_low)} – {number(row.ci_high)}</td></tr>'
        )
    pages = [rows[start:start + PAGE] for start in range(0, len(rows), PAGE)]
    html_pages = [f"<table>{head}{''.join(pages[0])}</table>"]
    for number_of, page in enumerate(pages[1:], start=1):
        first = number_of * PAGE + 1
        html_pages.append(f'<details class="page"><summary>Ranks {first}–{first + len(page) - 1}</summary>'
                          f"<table>{head}{''.join(page)}</table></details>")
    note = ""
    if len(unranked):
        note = (f'<p class="note">{len(unranked)} influencer(s) not ranked (too few videos with a valid '
                f'performance); they are listed after the ranked ones below.</p>')
    return "".join(html_pages) + note


def card(data: ReportData, row: Any, rank: int | None) -> str:
    """One influencer: representative face, numbers, a face from each video, links to the videos."""
    person = str(row.influencer)
    badge = f'<span class="badge">#{rank}</span>' if rank else '<span class="badge off">not ranked</span>'
    name = f' <span class="name">{esc(_name(row))}</span>' if _name(row) else ""
    score = getattr(row, "score", None)
    metrics = [
        ("videos", str(int(row.video_count))), ("creatives", str(int(row.creative_count))),
        ("mean", number(row.mean_performance)),
        ("std", number(row.std_performance)), ("score", number(score)),
        ("median", number(row.median_performance)), ("faces", str(int(row.face_count))),
    ]
    strip = "".join(
        f"<figure>{img(crop, f'{person} in row {r}')}<figcaption>row {r}</figcaption></figure>"
        for r, crop in data.strip(person)
    )
    items = []
    rows = data.rows_of(person)
    for creative, variants in by_creative(rows.head(CARD_ROWS)):
        lines = [video_line(data, v) for v in variants.itertuples(index=False)]
        items.append(f"<li>{esc(creative)} · {len(lines)} variants<ul>{''.join(lines)}</ul></li>" if len(lines) > 1
                     else lines[0].replace("<li>", f"<li>{esc(creative)} · ", 1))
    if len(rows) > CARD_ROWS:
        items.append(f'<li class="muted">and {len(rows) - CARD_ROWS} more row(s): filter ProcessedVideos_videos.xlsx '
                     f'by influencer {esc(person)}</li>')
    also = data.also_in(person)
    if also:
        shown = ", ".join(map(str, also[:CARD_ROWS])) + (f" and {len(also) - CARD_ROWS} more" if len(also) > CARD_ROWS else "")
        items.append(f'<li class="muted">also seen, beside someone else, in row(s) {shown}</li>')
    videos = (f"<details open><summary>{len(rows)} video row(s) where {esc(person)} is the "
              f"main person</summary><ul class=\"videos\">{''.join(items)}</ul></details>") if items else ""
    portrait = img(data.portrait(person), f"{person}, representative face", "portrait", PORTRAIT_PX)
    return (
        f'<article class="card" id="card-{esc(person)}" data-influencer="{esc(person)}">'
        f'<div class="card-head">{portrait}'
        f"<div><h3>{badge} {esc(person)}{name}</h3><dl class=\"metrics\">"
        + "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in metrics)
        + "</dl>" + closeness_note(data, person) + "</div></div>"
        + (f'<div class="strip" title="one face from each video">{strip}</div>' if strip else "")
        + videos + "</article>"
    )


def by_creative(rows: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Rows grouped by their creative, the creatives in order of their first row: a creative's
    variants shown together."""
    creative = rows["creative"].fillna("").astype(str)
    return [(name, rows[creative == name]) for name in dict.fromkeys(creative)]


def video_line(data: ReportData, v: Any) -> str:
    """One video row of a card: its row, performance, link and why it does not count, if it does not."""
    i = int(v.row) - 1
    notes = [] if v.counted else ["not counted: " + (f"same video as row {v.duplicate_of}"
                                                     if not _missing(v.duplicate_of) and v.duplicate_of != ""
                                                     else str(v.status))]
    if not _missing(v.variant_of) and v.variant_of != "":
        notes.append(f"variant of row {v.variant_of}")
    if v.close_call:
        notes.append(f"close call: {v.close_call_reason}")
    return (f"<li>row {int(v.row)} · performance {esc(data.performance[i])} · "
            f"{link(data.links[i], shorten(data.urls[i]))}"
            + (f' <span class="muted">({esc("; ".join(notes))})</span>' if notes else "") + "</li>")


def closeness_note(data: ReportData, person: str) -> str:
    """How tight the person's faces are and who the nearest other person is, in one line."""
    if person not in data.closeness.index:
        return ""
    spread, nearest, distance = data.closeness.loc[person, ["face_spread", "nearest_influencer", "nearest_distance"]]
    text = f"faces spread {number(spread)} around their mean"
    if not _missing(nearest) and nearest:
        text += f" · nearest other person {data.card_link(str(nearest))}, {number(distance)} apart"
    return f'<p class="note">{text}</p>'


def more_influencers(people: list[tuple[Any, int | None]]) -> str:
    """The influencers past `CARDS_MAX`, without faces: a row each, `PAGE` to a collapsed page."""
    if not people:
        return ""
    head = ('<tr><th class="num">Rank</th><th>Influencer</th><th class="num">Videos</th><th class="num">Mean</th>'
            '<th class="num">Std</th><th class="num">Faces</th></tr>')
    rows = [f'<tr><td class="num">{rank or "–"}</td><td>{esc(row.influencer)}'
            + (f' <span class="name">{esc(_name(row))}</span>' if _name(row) else "")
            + f'</td><td class="num">{int(row.video_count)}</td><td class="num">{number(row.mean_performance)}</td>'
            f'<td class="num">{number(row.std_performance)}</td><td class="num">{int(row.face_count)}</td></tr>'
            for row, rank in people]
    pages = "".join(
        f'<details class="page"><summary>Influencers {CARDS_MAX + start + 1}–{CARDS_MAX + start + len(page)}'
        f"</summary><table>{head}{''.join(page)}</table></details>"
        for start, page in ((start, rows[start:start + PAGE]) for start in range(0, len(rows), PAGE)))
    return (f'<p class="note">{len(people)} more influencer(s) without a card here, best first; their faces are '
            'in face_clusters/ and their numbers in PerformanceMetrics_videos.xlsx.</p>' + pages)


def close_calls_section(data: ReportData, videos: pd.DataFrame) -> str:
    flagged = videos.loc[videos["close_call"]]
    title = f'<section id="close-calls"><h2>Close calls ({len(flagged)})</h2>'
    if flagged.empty:
        return title + '<p class="muted">No row\'s influencer was a close call.</p></section>'
    rows = []
    for v in flagged.head(CLOSE_CALLS_MAX).itertuples(index=False):
        i = int(v.row) - 1
        rows.append(f'<tr><td class="num">{int(v.row)}</td><td>{data.card_link(str(v.influencer))}</td>'
                    f'<td class="url">{link(data.links[i], shorten(data.urls[i]))}</td>'
                    f'<td>{esc(v.close_call_reason)}</td></tr>')
    more = ""
    if len(flagged) > CLOSE_CALLS_MAX:
        more = (f'<p class="note">The first {CLOSE_CALLS_MAX} of {len(flagged)}; all of them: filter '
                "ProcessedVideos_videos.xlsx by close_call.</p>")
    return (title + '<p class="note">These rows\' influencer was nearly someone else: another person nearly as '
            "present in the video, or the face about as near another person as its own. Distances are mean "
            "distances between faces, as the clustering measures them; look at these rows first.</p>"
            '<table><tr><th class="num">Row</th><th>Influencer</th><th>Video</th><th>Why</th></tr>'
            + "".join(rows) + "</table>" + more + "</section>")


def tradeoff_section(result: Result, ranking_cfg: Any) -> str:
    if result.metrics["video_count"].gt(0).sum() == 0:
        return '<p class="muted">No influencer has a video with a valid performance.</p>'
    svg = tradeoff_svg(result.ranked, result.unranked, result.metrics, ranking_cfg)
    return (f'<img src="{data_uri(svg.encode(), "image/svg+xml")}" '
            'alt="mean performance against its standard deviation">'
            '<p class="note">Each point is an influencer: up is a higher average, right a less steady one; '
            "bigger points have more videos. Bars show the interval of the mean. Hollow points have one "
            "video, so their spread is unknown and the pooled std of everyone stands in.</p>")


def failed_section(data: ReportData, videos: pd.DataFrame) -> str:
    """The rows that failed, by kind (status), most common first: how many, and the first
    `EXAMPLES` of each; every one of them is in ProcessedVideos_videos.xlsx."""
    failed = videos.loc[videos["status"] != "ok"]
    title = f'<section id="failed"><h2>Rows that failed ({len(failed)})</h2>'
    if failed.empty:
        return title + '<p class="muted">Every row was analysed.</p></section>'
    kinds = []
    for status, count in failed["status"].value_counts().items():
        rows = []
        for v in failed.loc[failed["status"] == status].head(EXAMPLES).itertuples(index=False):
            i = int(v.row) - 1
            rows.append(f'<tr><td class="num">{int(v.row)}</td><td class="status">{esc(v.status)}</td>'
                        f'<td class="url">{link(data.links[i], shorten(data.urls[i]))}</td><td>{esc(v.error)}</td></tr>')
        shown = f"all {count}" if count <= EXAMPLES else f"the first {EXAMPLES} of {count}"
        kinds.append(f'<h3 data-status="{esc(status)}" data-count="{count}">{esc(status)}: {count} row(s)'
                     f' <span class="muted">({shown})</span></h3>'
                     '<table><tr><th class="num">Row</th><th>Status</th><th>Video</th><th>Why</th></tr>'
                     + "".join(rows) + "</table>")
    return (title + '<p class="note">By kind, most common first, with examples. Every failed row, with why, is in '
            "ProcessedVideos_videos.xlsx (filter status). Fix the video or the cell and run again; finished "
            "rows come from the cache.</p>" + "".join(kinds) + "</section>")
