"""The report's trade-off chart: each influencer's mean performance against its spread, as SVG
text built directly (no plotting library to import; about 2 ms a chart, the PNG it replaced took 170).

x is the std of performance (the pooled std stands in for one-video influencers, as the penalized
score charges them), y the mean; point area grows with the video count, fill colour shows the
score, vertical bars the interval of the mean; for the penalized method dashed lines join points
of equal score. Every piece of text is escaped: influencer names come from users.
"""
from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from influencer_kit.ranking import ranking

WIDTH, HEIGHT = 950, 500  # CSS px; the viewBox lets the page scale it down
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'  # the report's too
LABELLED_POINTS = 15  # the best this many influencers get their rank written beside their point
CHAR_PX = 6.6  # about the width of one 11-12 px character, to make room for labels
INK, MUTED, GRID, WHISKER = "#1f2933", "#616e7c", "#e4e7eb", "#9aa5b1"  # the report's page uses the first three
NOT_RANKED = ("#cbd2d9", MUTED)  # fill, stroke
VIRIDIS = ((0.0, (68, 1, 84)), (0.25, (59, 82, 139)), (0.5, (33, 145, 140)), (0.75, (94, 201, 98)),
           (1.0, (253, 231, 37)))
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot hold


@dataclass(frozen=True)
class Axis:
    """A data range [low, high] drawn onto pixels [start, end] (y runs from bottom to top)."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: Any) -> Any:
        return self.start + (np.asarray(value, float) - self.low) / (self.high - self.low) * (self.end - self.start)

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def tradeoff_svg(ranked: pd.DataFrame, unranked: pd.DataFrame, metrics: pd.DataFrame,
                 ranking_cfg: Any = None) -> str:
    """The chart as a standalone SVG document (`ranked`/`unranked`/`metrics` as `ranking` makes them)."""
    settings = ranking.RankingConfig.from_cfg(ranking_cfg)
    pooled = ranking.pooled_std(metrics, settings.unit)
    seen = unranked[unranked["video_count"] > 0]
    has_ci = {"ci_low", "ci_high"} <= set(ranked.columns)
    equal_score = settings.method == "penalized" and len(ranked) > 0
    x_low, x_high = padded_range(np.concatenate([spread(ranked, pooled), spread(seen, pooled)]))
    x_low = max(x_low, 0.0)  # a standard deviation is never negative
    y_values = [ranked["mean_performance"], seen["mean_performance"]]
    y_values += [ranked["ci_low"], ranked["ci_high"]] if has_ci else []
    y_low, y_high = padded_range(np.concatenate([v.to_numpy(float) for v in y_values]))
    x_ticks, y_ticks = nice_ticks(x_low, x_high, 8), nice_ticks(y_low, y_high, 6)
    scores = ranked["score"].to_numpy(float)
    finite_scores = scores[np.isfinite(scores)]
    score_range = (float(finite_scores.min()), float(finite_scores.max())) if finite_scores.size else None
    legend = ([("not ranked", "point")] if len(seen) else []) + (
        [(f"equal score (mean - {settings.std_penalty:g} x std)", "line")] if equal_score else [])
    left = round(34 + CHAR_PX * max((len(t) for t in y_ticks[1]), default=1))
    right = round(24 + (70 + CHAR_PX * max(len(_short(s)) for s in score_range) if score_range else 0))
    top = 34 if legend else 14
    x = Axis(x_low, x_high, left, WIDTH - right)
    y = Axis(y_low, y_high, HEIGHT - 52, top)
    parts = _frame(x, y, x_ticks, y_ticks)
    if equal_score and score_range:
        parts += _equal_score_lines(x, y, score_range, settings.std_penalty)
    if has_ci:
        parts += _interval_bars(x, y, ranked, pooled)
    parts += _points(x, y, seen, pooled, None)
    parts += _points(x, y, ranked, pooled, score_range)
    parts += _labels(x, y, ranked.head(LABELLED_POINTS), pooled)
    parts += _legend(legend, left)
    if score_range:
        parts += _colour_bar(WIDTH - right + 24, y, score_range)
    font = text(FONT)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" font-family="{font}" font-size="12" fill="{INK}">'
            "<title>Mean performance against its standard deviation</title>"
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>' + "".join(parts) + "</svg>")


def spread(table: pd.DataFrame, pooled: float) -> np.ndarray:
    """Each influencer's std, with the pooled std standing in where they have none of their own (one
    video, or one creative under `ranking.unit=creative`), as the penalized score charges them."""
    return table["std_performance"].fillna(pooled).to_numpy(float)


def point_radius(video_count: pd.Series) -> np.ndarray:
    """Point radius in px: the area grows gently (with the square root) with the number of videos."""
    return 0.8 * np.sqrt(40 + 60 * np.sqrt(video_count.to_numpy(float)))


def padded_range(values: np.ndarray, share: float = 0.08) -> tuple[float, float]:
    """[min, max] of the finite values widened by `share` of the span on each side; one value (or
    all equal) gets 10% of its size either way, nothing at all gets [0, 1]."""
    values = values[np.isfinite(values)]
    if not values.size:
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    span = high - low
    if span <= 1e-9 * max(abs(low), abs(high)):
        half = abs(high) * 0.1 or 1.0
        return low - half, high + half
    return low - share * span, high + share * span


def nice_ticks(low: float, high: float, most: int) -> tuple[list[float], list[str]]:
    """At most `most` round tick values (steps of 1, 2, 2.5 or 5 x 10^k) inside [low, high], and
    their labels with as many decimals as the step needs."""
    raw = (high - low) / max(most - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * (1 - 1e-9))
    values = [float(i * step) for i in range(math.ceil(low / step), math.floor(high / step) + 1)]
    decimals = next(d for d in range(13) if abs(step * 10**d - round(step * 10**d)) < 1e-6 * step * 10**d)
    return values, [f"{v:,.{decimals}f}" for v in values]


def score_colour(score: float, score_range: tuple[float, float]) -> str:
    """Viridis-like colour of `score` (its position between the lowest and highest score)."""
    low, high = score_range
    if not math.isfinite(score):
        return NOT_RANKED[0]
    t = 0.5 if high <= low else min(max((score - low) / (high - low), 0.0), 1.0)
    for (t0, c0), (t1, c1) in zip(VIRIDIS, VIRIDIS[1:]):
        if t <= t1:
            w = (t - t0) / (t1 - t0)
            return _hex(a + w * (b - a) for a, b in zip(c0, c1))
    return _hex(VIRIDIS[-1][1])


def _hex(rgb: Any) -> str:
    return "#" + "".join(f"{round(c):02x}" for c in rgb)


def text(value: Any) -> str:
    """`value` as SVG (XML) text or attribute content: escaped, characters XML cannot hold dropped."""
    return html.escape(NOT_XML.sub("", str(value)), quote=True)


def _short(value: float) -> str:
    return f"{value:.3g}"


def _frame(x: Axis, y: Axis, x_ticks: tuple[list[float], list[str]],
           y_ticks: tuple[list[float], list[str]]) -> list[str]:
    """Gridlines, tick labels, the plot's border and the axis titles."""
    parts = []
    for value, label in zip(*x_ticks):
        px = x(value)
        parts.append(f'<line x1="{px:.1f}" y1="{y.end}" x2="{px:.1f}" y2="{y.start}" stroke="{GRID}"/>'
                     f'<text x="{px:.1f}" y="{y.start + 17}" text-anchor="middle" fill="{MUTED}">{label}</text>')
    for value, label in zip(*y_ticks):
        py = y(value)
        parts.append(f'<line x1="{x.start}" y1="{py:.1f}" x2="{x.end}" y2="{py:.1f}" stroke="{GRID}"/>'
                     f'<text x="{x.start - 6}" y="{py + 4:.1f}" text-anchor="end" fill="{MUTED}">{label}</text>')
    middle_y = (y.start + y.end) / 2
    parts.append(f'<rect x="{x.start}" y="{y.end}" width="{x.end - x.start}" height="{y.start - y.end}" '
                 f'fill="none" stroke="{MUTED}"/>'
                 f'<text x="{(x.start + x.end) / 2}" y="{y.start + 40}" text-anchor="middle" font-size="13">'
                 "standard deviation of performance (lower is steadier)</text>"
                 f'<text transform="translate(16 {middle_y}) rotate(-90)" text-anchor="middle" font-size="13">'
                 "mean performance</text>")
    return parts


def _equal_score_lines(x: Axis, y: Axis, score_range: tuple[float, float], penalty: float) -> list[str]:
    """Dashed lines mean = score + penalty x std through 4 evenly spaced scores, clipped to the plot:
    every point on one line has the same score, so the slope is the price of spread."""
    parts = []
    for score in np.unique(np.linspace(*score_range, 4)):
        if penalty == 0:
            ends = (x.low, x.high) if y.contains(score) else None
        else:
            at_bottom, at_top = sorted([(y.low - score) / penalty, (y.high - score) / penalty])
            ends = (max(x.low, at_bottom), min(x.high, at_top))
        if ends and ends[0] < ends[1]:
            (x1, x2), (y1, y2) = x(ends), y(score + penalty * np.array(ends))
            parts.append(f'<line class="equal-score" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                         f'stroke="{WHISKER}" stroke-dasharray="5 4"/>')
    return parts


def _interval_bars(x: Axis, y: Axis, ranked: pd.DataFrame, pooled: float) -> list[str]:
    """A vertical bar from ci_low to ci_high (widened to reach the mean) with caps, per point."""
    parts = []
    means = ranked["mean_performance"].to_numpy(float)
    for px, mean, low, high in zip(x(spread(ranked, pooled)), means, ranked["ci_low"], ranked["ci_high"]):
        if not all(map(math.isfinite, (px, mean, low, high))):
            continue
        bottom, top = y(min(low, mean)), y(max(high, mean))
        parts.append(f'<path class="interval" d="M{px:.1f} {bottom:.1f}V{top:.1f}M{px - 4:.1f} {bottom:.1f}'
                     f'h8M{px - 4:.1f} {top:.1f}h8" stroke="{WHISKER}" fill="none"/>')
    return parts


def _points(x: Axis, y: Axis, table: pd.DataFrame, pooled: float,
            score_range: tuple[float, float] | None) -> list[str]:
    """One circle per row: coloured by score when `score_range` is given (hollow for one video),
    grey "not ranked" otherwise. The best are drawn last, on top."""
    parts = []
    xs, ys = x(spread(table, pooled)), y(table["mean_performance"].to_numpy(float))
    radii = point_radius(table["video_count"])
    scores = table["score"] if score_range else [math.nan] * len(table)
    rows = list(zip(table["influencer"], table["video_count"], scores, xs, ys, radii))
    for person, videos, score, px, py, r in reversed(rows):
        if not (math.isfinite(px) and math.isfinite(py)):
            continue
        if score_range is None:
            kind, fill, stroke, width = "point not-ranked", *NOT_RANKED, 1
        elif videos <= 1:
            kind, fill, stroke, width = "point one-video", "#fff", score_colour(score, score_range), 2
        else:
            kind, fill, stroke, width = "point", score_colour(score, score_range), INK, 0.8
        parts.append(f'<circle class="{kind}" data-influencer="{text(person)}" cx="{px:.1f}" cy="{py:.1f}" '
                     f'r="{r:.1f}" fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>')
    return parts


def _labels(x: Axis, y: Axis, best: pd.DataFrame, pooled: float) -> list[str]:
    """"#rank influencer" beside each of the best points (to the left near the right edge)."""
    parts = []
    xs, ys = x(spread(best, pooled)), y(best["mean_performance"].to_numpy(float))
    for rank, person, px, py in zip(best["rank"], best["influencer"], xs, ys):
        if not (math.isfinite(px) and math.isfinite(py)):
            continue
        flip = px > x.end - 160
        anchor = "end" if flip else "start"
        parts.append(f'<text class="label" x="{px - 10 if flip else px + 10:.1f}" y="{py - 7:.1f}" font-size="11" '
                     f'text-anchor="{anchor}">#{int(rank)} {text(person)}</text>')
    return parts


def _legend(entries: list[tuple[str, str]], left: float) -> list[str]:
    """A row of legend entries above the plot ("point" or "line" symbols)."""
    parts, at = [], left
    for label, symbol in entries:
        if symbol == "point":
            parts.append(f'<circle cx="{at + 8}" cy="16" r="6" fill="{NOT_RANKED[0]}" stroke="{NOT_RANKED[1]}"/>')
        else:
            parts.append(f'<line x1="{at}" y1="16" x2="{at + 18}" y2="16" stroke="{WHISKER}" '
                         'stroke-dasharray="5 4"/>')
        parts.append(f'<text x="{at + 24}" y="20" font-size="11">{text(label)}</text>')
        at += round(44 + CHAR_PX * len(label))
    return parts


def _colour_bar(left: float, y: Axis, score_range: tuple[float, float]) -> list[str]:
    """A vertical viridis gradient from the lowest score (bottom) to the highest (top), labelled."""
    stops = "".join(f'<stop offset="{t}" stop-color="{_hex(rgb)}"/>' for t, rgb in VIRIDIS)
    low, high = _short(score_range[0]), _short(score_range[1])
    return [f'<defs><linearGradient id="score-scale" x1="0" y1="1" x2="0" y2="0">{stops}</linearGradient></defs>'
            f'<rect class="colour-bar" x="{left}" y="{y.end}" width="14" height="{y.start - y.end}" '
            f'fill="url(#score-scale)" stroke="{MUTED}"/>'
            f'<text x="{left + 20}" y="{y.end + 10}" fill="{MUTED}">{high}</text>'
            f'<text x="{left + 20}" y="{y.start}" fill="{MUTED}">{low}</text>'
            f'<text transform="translate({left + 26 + CHAR_PX * max(len(low), len(high)):.0f} {(y.start + y.end) / 2}) '
            'rotate(-90)" text-anchor="middle" font-size="13">score</text>']
