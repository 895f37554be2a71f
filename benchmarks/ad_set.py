"""The ad-like parts of the real-footage benchmark: videos that look like paid social ads, built at
benchmark time from the labelled clips of ../shared/real (never copied into the project).

    python benchmarks/ad_set.py [--part ads_tune|ads_report] [--seed 0]

Each ad is a few shots one after another at 25 fps, each shot one or more clips in boxes of the
frame (a clip shown whole, letterboxed in its box, looping when it runs out), with a caption burnt
in over the whole ad. The kinds:

- `compilation`: 2-3 creators one after another (one of 3.2-4.4 s, the others 1.2-2 s each),
  sometimes with a product shot (a no-face clip, or a still of one) between two of them;
- `pip`: a creator full frame with a small reaction face (another creator) in a corner, for the
  whole ad or only part of it;
- `split` / `stacked`: two creators side by side (16:9) or one above the other (9:16), for the same
  time; one box larger in two of three such ads, equal otherwise;
- `product`: product shots only (no face).

Labels follow the rules the benchmark states: the main person (`Person`) is the one on screen
longest; of two on screen equally long, the one in the larger box; nobody when they tie on both.
`People` lists everyone visible, most on screen first. Creators are the part's clips showing one
person and no background faces; box sources (pip, split) are its square-ish clips (face crops), so a larger box shows a
larger face. `ads_tune` is built only from `tune` clips and `ads_report` only from `report` clips
(`real_set.TUNE_CLIPS`), so no figure is judged on people it was tuned on; every creator is the main
person of some ad, so each person in a second role has rows of their own.

Columns as in real_set.py: `Video_URL`, `Performance`, `Person`, `People`, `Clip` (the clips used,
`;`-joined), `Variation` (the kind and its layout) and `Part`.
"""
from __future__ import annotations

import argparse
import json
import zlib
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import cv2
import numpy as np
import pandas as pd
from real_set import DATA, REAL, check_parts, duration_of, part_of, people_of, performance, put_words

FPS = 25
VERTICAL = (540, 960)  # width, height
WIDE = (960, 540)
AD_PARTS = {"ads_tune": "tune", "ads_report": "report"}  # ad part -> the real part its clips come from
KINDS = {"compilation": 14, "pip": 10, "split": 6, "stacked": 6, "product": 3}  # ads per part
SQUARE = (0.8, 1.25)  # width/height of a clip that may fill a box of a pip or split ad
CAPTIONS = ["SHOP NOW", "LINK IN BIO", "50% OFF TODAY", "my honest review", "use code SAVE20",
            "wait for the end", "I tried it so you don't have to", "best purchase this year"]
PRODUCT_WORDS = ["NEW", "LIMITED DROP", "ONLY 19.99", "FREE SHIPPING"]
BACKGROUND = (24, 24, 24)
FULL = (0.0, 0.0, 1.0, 1.0)

Box = tuple[float, float, float, float]  # left, top, width, height: fractions of the frame


@dataclass(frozen=True)
class Tile:
    """One clip shown in a box of the frame for a shot, from `start_s` into the clip on."""

    clip: str
    start_s: float
    box: Box = FULL
    still: bool = False  # the clip's frame at start_s held (a product still)


@dataclass(frozen=True)
class Shot:
    """A stretch of an ad: its length in frames and the clips shown (later tiles over earlier ones)."""

    frames: int
    tiles: tuple[Tile, ...]
    words: str = ""  # large words over the shot (a product shot's), besides the ad's caption


@dataclass(frozen=True)
class Ad:
    name: str
    variation: str
    size: tuple[int, int]
    shots: tuple[Shot, ...]
    caption: str

    @property
    def clips(self) -> list[str]:
        return list(dict.fromkeys(t.clip for shot in self.shots for t in shot.tiles))


def ad_labels(ad: Ad, people: Mapping[str, list[str]]) -> tuple[str, list[str]]:
    """The ad's main person ('' when nobody, or two tie on time and box size) and everyone visible,
    most on screen first: on screen longest (frames), then in the larger box (its largest), then
    in order of appearance."""
    frames: dict[str, int] = {}
    area: dict[str, float] = {}
    for shot in ad.shots:
        for person in dict.fromkeys(p for tile in shot.tiles for p in people[tile.clip]):
            frames[person] = frames.get(person, 0) + shot.frames
        for tile in shot.tiles:
            for person in people[tile.clip]:
                area[person] = max(area.get(person, 0.0), tile.box[2] * tile.box[3])
    ranked = sorted(frames, key=lambda p: (frames[p], area[p]), reverse=True)
    if not ranked:
        return "", []
    tied = len(ranked) > 1 and (frames[ranked[0]], area[ranked[0]]) == (frames[ranked[1]], area[ranked[1]])
    return ("" if tied else ranked[0]), ranked


def seconds(rng: np.random.Generator, low: float, high: float) -> int:
    """A length drawn between `low` and `high` seconds, in frames."""
    return round(rng.uniform(low, high) * FPS)


class Planner:
    """Draws one part's ads from a seed: which clips, where in them, how long, laid out how.

    Mains take turns from a queue, the clips that only compilations may show first, so that with as
    many turns as creators every creator is the main person of some ad."""

    def __init__(self, durations: Mapping[str, float], person: Mapping[str, str], creators: list[str],
                 boxed: list[str], products: list[str], rng: np.random.Generator) -> None:
        self.durations, self.person, self.rng = durations, person, rng
        self.creators, self.boxed, self.products = creators, boxed, products
        others = [c for c in creators if c not in boxed]
        self.queue = deque(str(c) for group in (others, boxed) for c in rng.permutation(group))

    def main(self, eligible: list[str]) -> str:
        """The next creator in turn that may take the role (sent to the back of the queue)."""
        clip = next(c for c in self.queue if c in eligible)
        self.queue.remove(clip)
        self.queue.append(clip)
        return clip

    def others(self, main: str, eligible: list[str], count: int) -> list[str]:
        """`count` creators, each of another person than `main` and than each other."""
        chosen: list[str] = []
        for clip in self.rng.permutation(eligible):
            if self.person[str(clip)] not in {self.person[c] for c in [main, *chosen]}:
                chosen.append(str(clip))
        return chosen[:count]

    def tile(self, clip: str, frames: int, box: Box = FULL, still: bool = False) -> Tile:
        """`clip` from a random point, so that `frames` fit before its end when they can."""
        room = max(0.0, self.durations[clip] - frames / FPS)
        return Tile(clip, round(float(self.rng.uniform(0.0, room)), 2), box, still)

    def product_shot(self) -> Shot:
        frames = seconds(self.rng, 0.8, 1.2)
        clip = str(self.rng.choice(self.products))
        return Shot(frames, (self.tile(clip, frames, still=bool(self.rng.random() < 0.5)),),
                    str(self.rng.choice(PRODUCT_WORDS)))

    def compilation(self) -> tuple[str, tuple[int, int], list[Shot]]:
        """2-3 creators one after another in a random order, the main one 3.2-4.4 s, the others
        1.2-2 s; a product shot between two of them in three of five."""
        main = self.main(self.creators)
        clips = [main, *self.others(main, self.creators, int(self.rng.integers(1, 3)))]
        lengths = [seconds(self.rng, 3.2, 4.4)] + [seconds(self.rng, 1.2, 2.0) for _ in clips[1:]]
        shots = [Shot(frames, (self.tile(clip, frames),)) for clip, frames in zip(clips, lengths)]
        shots = [shots[i] for i in self.rng.permutation(len(shots))]
        with_product = bool(self.rng.random() < 0.6)
        if with_product:
            shots.insert(int(self.rng.integers(1, len(shots))), self.product_shot())
        return f"compilation_{len(clips)}" + ("_product" if with_product else ""), VERTICAL, shots

    def pip(self) -> tuple[str, tuple[int, int], list[Shot]]:
        """A creator full frame and a reaction face in a top corner (a square box a third of the
        width), for the whole ad or from a third to a half of it on."""
        main = self.main(self.boxed)
        (reaction,) = self.others(main, self.boxed, 1)
        side = 0.33
        left = 0.05 if self.rng.random() < 0.5 else 0.95 - side
        box = (left, 0.05, side, side * VERTICAL[0] / VERTICAL[1])
        total = seconds(self.rng, 4.0, 6.0)
        whole = bool(self.rng.random() < 0.5)
        alone = 0 if whole else round(total * self.rng.uniform(0.3, 0.5))
        base = self.tile(main, total)
        shots = [Shot(alone, (base,))] if alone else []
        shots.append(Shot(total - alone, (Tile(main, base.start_s + alone / FPS), self.tile(reaction, total - alone, box))))
        return "pip_whole" if whole else "pip_partial", VERTICAL, shots

    def split(self, stacked: bool) -> tuple[str, tuple[int, int], list[Shot]]:
        """Two creators for the same time, side by side (16:9) or one above the other (9:16): in
        two of three ads the main one in a box of 62%, on a side drawn at random; else two boxes of
        half, neither person main (no turn taken)."""
        equal = bool(self.rng.random() < 1 / 3)
        main = str(self.rng.choice(self.boxed)) if equal else self.main(self.boxed)
        (other,) = self.others(main, self.boxed, 1)
        share = 0.5 if equal else 0.62
        first, second = (0.0, 0.0, 1.0, share), (0.0, share, 1.0, 1.0 - share)
        if self.rng.random() < 0.5:
            first, second = (0.0, 1.0 - share, 1.0, share), (0.0, 0.0, 1.0, 1.0 - share)
        if not stacked:  # the same boxes turned on their side
            first, second = (first[1], 0.0, first[3], 1.0), (second[1], 0.0, second[3], 1.0)
        frames = seconds(self.rng, 4.0, 5.0)
        return (f"{'stacked' if stacked else 'split'}_{'equal' if equal else 'larger'}", VERTICAL if stacked else WIDE,
                [Shot(frames, (self.tile(main, frames, first), self.tile(other, frames, second)))])

    def product(self) -> tuple[str, tuple[int, int], list[Shot]]:
        return "product", VERTICAL, [self.product_shot() for _ in range(int(self.rng.integers(2, 4)))]

    def ads(self, part: str, kinds: Mapping[str, int]) -> list[Ad]:
        """The part's ads, `kinds` of each (kind -> count), in `KINDS`' order: compilations first, as
        they take the queue's first turns."""
        plans = {"compilation": self.compilation, "pip": self.pip, "split": lambda: self.split(False),
                 "stacked": lambda: self.split(True), "product": self.product}
        ads = []
        for k, kind in enumerate(kind for kind in KINDS for _ in range(kinds.get(kind, 0))):
            variation, size, shots = plans[kind]()
            ads.append(Ad(f"{part}_{k + 1:02d}_{kind}", variation, size, tuple(shots),
                          str(self.rng.choice(CAPTIONS))))
        return ads


def is_square(path: Path) -> bool:
    cap = cv2.VideoCapture(str(path))
    width, height = cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
    cap.release()
    return SQUARE[0] <= width / max(height, 1.0) <= SQUARE[1]


def plan_part(clips_dir: Path, labels: Mapping[str, dict], part: str, seed: int,
              kinds: Mapping[str, int] = KINDS) -> list[Ad]:
    """The ads of one ad part (`kinds`: how many of each kind), drawn from the clips of its real part."""
    clips = sorted(c for c in labels if part_of(c) == AD_PARTS[part])
    creators = [c for c in clips if labels[c]["main"] and labels[c]["all"] == [labels[c]["main"]]]
    products = [c for c in clips if not labels[c]["all"]]
    boxed = [c for c in creators if is_square(clips_dir / c)]
    turns = kinds.get("compilation", 0) + kinds.get("pip", 0)  # the ads that always have a main person
    if len(creators) - len(boxed) > kinds.get("compilation", 0) or len(creators) > turns or len(boxed) < 2 or not products:
        raise SystemExit(f"benchmarks/ad_set.py: {part} needs 2+ square one-person clips, a no-face clip, "
                         f"and no more one-person clips than the {turns} ads with a main person")
    durations = {c: duration_of(clips_dir / c) for c in clips}
    rng = np.random.default_rng([seed, zlib.crc32(part.encode())])
    person = {c: labels[c]["main"] for c in creators}
    return Planner(durations, person, creators, boxed, products, rng).ads(part, kinds)


class ClipReader:
    """A clip's frames from a point on, looping at its end."""

    def __init__(self, path: Path, start_s: float) -> None:
        self.path = path
        self.cap = cv2.VideoCapture(str(path))
        self.fps = self.cap.get(cv2.CAP_PROP_FPS) or 25.0
        self.count = max(1, int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT)))
        self.first = round(start_s * self.fps) % self.count
        self.index, self.frame = -1, None

    def at(self, t: float) -> np.ndarray:
        """The frame `t` seconds after the start."""
        target = (self.first + int(t * self.fps)) % self.count
        if target < self.index:
            self.cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            self.index = -1
        while self.index < target:
            ok, frame = self.cap.read()
            if not ok:
                if self.index < 0:
                    raise SystemExit(f"OpenCV cannot read {self.path}")
                self.count = self.index + 1  # the clip's frame count overstated it: loop over those read
                return self.at(t)
            self.index, self.frame = self.index + 1, frame
        return self.frame

    def release(self) -> None:
        self.cap.release()


def place(canvas: np.ndarray, picture: np.ndarray, box: Box) -> None:
    """Draw `picture` letterboxed (aspect kept, centred) in `box` of `canvas`, framed in white
    when the box is not the whole frame."""
    height, width = canvas.shape[:2]
    left, top = round(box[0] * width), round(box[1] * height)
    box_w, box_h = round(box[2] * width), round(box[3] * height)
    scale = min(box_w / picture.shape[1], box_h / picture.shape[0])
    w, h = max(1, round(picture.shape[1] * scale)), max(1, round(picture.shape[0] * scale))
    x, y = left + (box_w - w) // 2, top + (box_h - h) // 2
    canvas[y : y + h, x : x + w] = cv2.resize(picture, (w, h), interpolation=cv2.INTER_AREA)
    if box != FULL:
        cv2.rectangle(canvas, (x, y), (x + w - 1, y + h - 1), (255, 255, 255), 3)


def write_ad(clips_dir: Path, out: Path, ad: Ad) -> None:
    """Write the ad's video: its shots one after another, the caption over every frame."""
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), FPS, ad.size)
    if not writer.isOpened():
        raise SystemExit(f"OpenCV cannot write {out}")
    for shot in ad.shots:
        readers = [ClipReader(clips_dir / tile.clip, tile.start_s) for tile in shot.tiles]
        for k in range(shot.frames):
            canvas = np.full((ad.size[1], ad.size[0], 3), BACKGROUND, dtype=np.uint8)
            for tile, reader in zip(shot.tiles, readers):
                place(canvas, reader.at(0.0 if tile.still else k / FPS), tile.box)
            if shot.words:
                put_words(canvas, shot.words, ad.size[1] // 2, ad.size[1] // 8)
            if ad.caption:
                put_words(canvas, ad.caption, int(ad.size[1] * 0.88), ad.size[1] // 14)
            writer.write(canvas)
        for reader in readers:
            reader.release()
    writer.release()


def build_ad_set(real_dir: Path = REAL, out_dir: Path | None = None, seed: int = 0, part: str = "ads_tune",
                 kinds: Mapping[str, int] = KINDS) -> Path:
    """The csv of one ad part (`kinds`: how many ads of each kind), built on first use into
    `out_dir` (default benchmarks/data/real/seed_<seed>/<part>); `videos.csv` is written last, so
    its presence means the part is complete."""
    if part not in AD_PARTS:
        raise SystemExit(f"unknown part {part!r}: choose {' or '.join(AD_PARTS)}")
    out_dir = out_dir or DATA / f"seed_{seed}" / part
    csv = out_dir / "videos.csv"
    if csv.exists():
        return csv
    if not (real_dir / "labels.json").is_file():
        raise SystemExit(f"needs the labelled real clips in {real_dir} (labels.json and clips/)")
    labels = json.loads((real_dir / "labels.json").read_text())["clips"]
    check_parts(labels)
    (out_dir / "videos").mkdir(parents=True, exist_ok=True)
    people = {clip: people_of(label) for clip, label in labels.items()}
    rows = []
    for ad in plan_part(real_dir / "clips", labels, part, seed, kinds):
        name = f"videos/{ad.name}.mp4"
        write_ad(real_dir / "clips", out_dir / name, ad)
        main, everyone = ad_labels(ad, people)
        rows.append({"Video_URL": name, "Performance": performance(ad.name, seed, 1)[0], "Person": main,
                     "People": ";".join(everyone), "Clip": ";".join(ad.clips), "Variation": ad.variation,
                     "Part": part})
    sheet = pd.DataFrame(rows).iloc[np.random.default_rng(seed).permutation(len(rows))]
    sheet.to_csv(out_dir / "videos.tmp.csv", index=False)
    (out_dir / "videos.tmp.csv").rename(csv)
    return csv


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="ads_tune", choices=list(AD_PARTS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(build_ad_set(seed=args.seed, part=args.part))
