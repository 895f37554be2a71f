"""The real-footage benchmark set: the labelled clips of ../shared/real cut into posts and varied the
way social posts vary, one row per post as an analyst's sheet lists them. Built at benchmark or test
time into a git-ignored folder; the footage is never copied into the project.

    python benchmarks/real_set.py [--part tune|report|all] [--seed 0]

Each clip gives one post (clips of ~7 s or less: the whole clip, or 3-6 s of it when it is longer
than 6 s) or 2-3 posts of 3-6 s (longer clips), each with one variation chosen from the seed:
`none`, `vertical` (a 9:16 centre crop), `360p` (downscaled to 360 px high; sources of 360 px or
less to 2/3 of their height), `mirrored`, `title_card` (about 1 s of a plain card with large words
first) or `subtitles` (words burnt in over the lower third). Each part also gets a re-post: one of
its posts again as another row, the same file byte for byte (`repost`), and another one decoded and
encoded again (`reencoded_repost`: the same footage, other bytes).

Columns: `Video_URL` (relative to the csv), `Performance`, `Person` (the clip's main person, empty
when it has none), `People` (everyone visible, `;`-joined; `extras_*` labels are groups of
background faces, not people), `Clip`, `Variation`, `Part`.
"""
from __future__ import annotations

import argparse
import json
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "real"
DATA = ROOT / "benchmarks" / "data" / "real"

VARIATIONS = ("none", "vertical", "360p", "mirrored", "title_card", "subtitles")
PARTS = ("tune", "report")

# The parts. Defaults are chosen on `tune`; the README reports `report`. Clips that share a person
# stay in one part (`check_parts` enforces it), so no person is seen in both. Each part has about
# half the people, people in several clips (different recordings: barack_obama in tune,
# robert_downey_jr in report), several people in one clip, an East Asian person (jackie_chan in
# tune, suga in report) and clips with nobody. Every clip not listed here is in `report`.
TUNE_CLIPS = frozenset({
    # people in more than one clip
    "obama_interview.mp4", "obama_address.mp4",
    "mead_m030_neutral.mp4", "mead_m030_happy.mp4",
    "mead_w011_neutral.mp4", "mead_w011_angry.mp4",
    "office_woman.mp4", "office_man.mp4", "office_two_people.mp4", "hallway_three_people.mp4",
    # several people in one clip (besides the office ones above)
    "duet_split_screen.mp4",
    # one clip each
    "jackie_chan_interview.mp4", "may_address.mp4", "acosta_news.mp4", "trump_address.mp4",
    "klobuchar_address.mp4", "christie_tv.mp4", "harris_stage.mp4", "bearded_man_interview.mp4",
    "aldridge_interview.mp4", "man_tv_studio.mp4", "man_ornate_room_address.mp4",
    "woman_face_expressions.mp4", "seehorn_promo.mp4", "woman_redhair_closeup.mp4",
    # nobody
    "noface_apple.mp4", "noface_cat.mp4", "noface_bear.mp4",
})

TITLE_WORDS = ["NEW VIDEO", "WAIT FOR IT", "PART 2", "BIG NEWS", "STORY TIME", "MUST WATCH", "HOT TAKE"]
SUBTITLE_WORDS = ["and that is why I said yes", "you will not believe this", "here is what happened next",
                  "link in bio", "tell me in the comments", "this changed everything"]


@dataclass(frozen=True)
class Post:
    """One row of the sheet before it is written: which part of which clip, varied how."""

    clip: str
    start_s: float
    end_s: float
    variation: str
    words: str  # the title card's or the subtitle's text; empty for other variations


def part_of(clip: str) -> str:
    return "tune" if clip in TUNE_CLIPS else "report"


def people_of(label: dict) -> list[str]:
    """The people visible in a clip: its `all` labels without the `extras_*` groups."""
    return [p for p in label["all"] if not p.startswith("extras_")]


def check_parts(labels: dict[str, dict]) -> None:
    """Stop when a person is in clips of both parts (a person group was split)."""
    parts: dict[str, set[str]] = {}
    for clip, label in labels.items():
        for person in people_of(label):
            parts.setdefault(person, set()).add(part_of(clip))
    split = sorted(p for p, where in parts.items() if len(where) > 1)
    if split:
        raise SystemExit(f"benchmarks/real_set.py: TUNE_CLIPS splits the clips of {', '.join(split)} across parts")


def segments(duration_s: float, rng: np.random.Generator) -> list[tuple[float, float]]:
    """Where a clip's posts start and end: one for a clip of ~7 s or less, else 2-3 of 3-6 s, one in
    each equal stretch of the clip."""
    if duration_s <= 7.0:
        if duration_s <= 6.0:
            return [(0.0, duration_s)]
        length = rng.uniform(3.0, 6.0)
        start = rng.uniform(0.0, duration_s - length)
        return [(start, start + length)]
    count = 3 if duration_s >= 12.0 and rng.random() < 0.5 else 2
    stretch = duration_s / count
    cuts = []
    for k in range(count):
        length = rng.uniform(3.0, min(6.0, stretch))
        start = k * stretch + rng.uniform(0.0, stretch - length)
        cuts.append((start, start + length))
    return cuts


def clip_posts(clip: str, duration_s: float, seed: int, whole: bool = False) -> list[Post]:
    """The posts cut from one clip (or the `whole` clip as one post); the same for a seed whatever
    other clips the set has."""
    rng = np.random.default_rng([seed, zlib.crc32(clip.encode())])
    posts = []
    for start, end in [(0.0, duration_s)] if whole else segments(duration_s, rng):
        variation = str(rng.choice(VARIATIONS))
        words = {"title_card": TITLE_WORDS, "subtitles": SUBTITLE_WORDS}.get(variation)
        posts.append(Post(clip, start, end, variation, str(rng.choice(words)) if words else ""))
    return posts


def even(n: float) -> int:
    """`n` rounded down to an even number of pixels (at least 2), as video encoders want."""
    return max(2, int(n) // 2 * 2)


def output_size(width: int, height: int, variation: str) -> tuple[int, int]:
    """The width and height of a post's video."""
    if variation == "vertical":
        return even(height * 9 / 16), even(height)
    if variation == "360p":
        new_height = 360 if height > 360 else height * 2 / 3
        return even(width * new_height / height), even(new_height)
    return even(width), even(height)


def put_words(frame: np.ndarray, words: str, centre_y: int, max_height: int) -> None:
    """Draw `words` in white with a black outline, centred at height `centre_y`, as wide as fits."""
    font, thickness = cv2.FONT_HERSHEY_DUPLEX, 2
    (text_w, text_h), _ = cv2.getTextSize(words, font, 1.0, thickness)
    scale = min(0.9 * frame.shape[1] / text_w, max_height / text_h)
    (text_w, text_h), _ = cv2.getTextSize(words, font, scale, thickness)
    origin = ((frame.shape[1] - text_w) // 2, centre_y + text_h // 2)
    outline = max(3, int(scale * 4))
    cv2.putText(frame, words, origin, font, scale, (0, 0, 0), outline, cv2.LINE_AA)
    cv2.putText(frame, words, origin, font, scale, (255, 255, 255), max(1, outline // 3), cv2.LINE_AA)


def varied(frame: np.ndarray, post: Post, size: tuple[int, int]) -> np.ndarray:
    """One source frame (BGR) as the post shows it."""
    height, width = frame.shape[:2]
    if post.variation == "vertical":
        left = (width - size[0]) // 2
        frame = frame[:, left : left + size[0]]
    elif post.variation == "mirrored":
        frame = cv2.flip(frame, 1)
    frame = np.ascontiguousarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
                                 if frame.shape[1::-1] != size else frame)
    if post.variation == "subtitles":
        put_words(frame, post.words, int(size[1] * 0.83), size[1] // 10)
    return frame


def title_card(size: tuple[int, int], words: str, colour: tuple[int, int, int]) -> np.ndarray:
    card = np.full((size[1], size[0], 3), colour, dtype=np.uint8)
    for line, text in enumerate(words.split(" ", 1)):
        put_words(card, text, int(size[1] * (0.4 + 0.2 * line)), size[1] // 6)
    return card


def write_post(source: Path, out: Path, post: Post) -> None:
    """Write one post's video: the clip from `post.start_s` to `post.end_s`, varied, at the clip's fps."""
    cap = cv2.VideoCapture(str(source))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    size = output_size(int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)), post.variation)
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    if not writer.isOpened():
        raise SystemExit(f"OpenCV cannot write {out}")
    if post.variation == "title_card":
        colour = tuple(int(c) for c in np.random.default_rng(zlib.crc32(out.name.encode())).integers(20, 200, 3))
        card = title_card(size, post.words, colour)
        for _ in range(round(fps)):
            writer.write(card)
    first, last = round(post.start_s * fps), round(post.end_s * fps)
    for _ in range(first):
        cap.grab()
    for _ in range(first, last):
        ok, frame = cap.read()
        if not ok:
            break
        writer.write(varied(frame, post, size))
    writer.release()
    cap.release()


def reencode(source: Path, out: Path) -> None:
    """The same frames, decoded and encoded again: other bytes, as a re-upload gets."""
    cap = cv2.VideoCapture(str(source))
    size = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), cap.get(cv2.CAP_PROP_FPS), size)
    while (got := cap.read())[0]:
        writer.write(got[1])
    writer.release()
    cap.release()


def duration_of(path: Path) -> float:
    cap = cv2.VideoCapture(str(path))
    frames, fps = cap.get(cv2.CAP_PROP_FRAME_COUNT), cap.get(cv2.CAP_PROP_FPS) or 25.0
    cap.release()
    return frames / fps


def performance(clip: str, seed: int, count: int) -> list[float]:
    """Seeded scores like the assignment's (0.01-2.3, median about 0.9): a level per clip, spread per post."""
    rng = np.random.default_rng([seed, zlib.crc32(clip.encode()), 1])
    level = rng.uniform(0.4, 1.6)
    return [round(float(np.clip(level + rng.normal(0.0, 0.35), 0.0135, 2.3)), 4) for _ in range(count)]


def sheet_rows(real_dir: Path, out_dir: Path, labels: dict[str, dict], seed: int) -> list[dict]:
    """Write every clip's posts into out_dir/videos and return their rows."""
    rows = []
    for clip in sorted(labels):
        # A clip's main person is labelled for the whole clip: where they share it with another
        # named person, a cut of it may show the other one most, so such a clip is posted whole.
        shared = labels[clip]["main"] and len(people_of(labels[clip])) > 1
        posts = clip_posts(clip, duration_of(real_dir / "clips" / clip), seed, whole=bool(shared))
        for k, (post, score) in enumerate(zip(posts, performance(clip, seed, len(posts)))):
            name = f"videos/{Path(clip).stem}_{k + 1}_{post.variation}.mp4"
            write_post(real_dir / "clips" / clip, out_dir / name, post)
            rows.append({"Video_URL": name, "Performance": score, "Person": labels[clip]["main"] or "",
                         "People": ";".join(labels[clip]["all"]), "Clip": clip, "Variation": post.variation,
                         "Part": part_of(clip)})
    return rows


def reposts(rows: list[dict], out_dir: Path, rng: np.random.Generator) -> list[dict]:
    """Per part, two of its labelled posts again: one as the same file, one re-encoded."""
    added = []
    for part in PARTS:
        labelled = [r for r in rows if r["Part"] == part and r["Person"]]
        if not labelled:
            continue
        exact, again = (labelled[i] for i in rng.choice(len(labelled), size=2, replace=len(labelled) < 2))
        for original, kind in ((exact, "repost"), (again, "reencoded_repost")):
            name = original["Video_URL"].replace(".mp4", f"_{kind}.mp4")
            if kind == "repost":
                shutil.copyfile(out_dir / original["Video_URL"], out_dir / name)
            else:
                reencode(out_dir / original["Video_URL"], out_dir / name)
            added.append({**original, "Video_URL": name, "Variation": kind,
                          "Performance": round(float(rng.uniform(0.0135, 2.3)), 4)})
    return added


def build_real_set(real_dir: Path = REAL, out_dir: Path | None = None, seed: int = 0, part: str = "all") -> Path:
    """The csv of the set (or of one part: `videos_<part>.csv`), built on first use into `out_dir`
    (default benchmarks/data/real/seed_<seed>). The full `videos.csv` is written last, so its
    presence means the set is complete."""
    out_dir = out_dir or DATA / f"seed_{seed}"
    full = out_dir / "videos.csv"
    if not full.exists():
        if not (real_dir / "labels.json").is_file():
            raise SystemExit(f"needs the labelled real clips in {real_dir} (labels.json and clips/)")
        labels = json.loads((real_dir / "labels.json").read_text())["clips"]
        check_parts(labels)
        (out_dir / "videos").mkdir(parents=True, exist_ok=True)
        rows = sheet_rows(real_dir, out_dir, labels, seed)
        rng = np.random.default_rng(seed)
        rows += reposts(rows, out_dir, rng)
        sheet = pd.DataFrame(rows).iloc[rng.permutation(len(rows))]
        sheet.to_csv(out_dir / "videos.tmp.csv", index=False)
        (out_dir / "videos.tmp.csv").rename(full)
    if part == "all":
        return full
    if part not in PARTS:
        raise SystemExit(f"unknown part {part!r}: choose tune, report or all")
    csv = out_dir / f"videos_{part}.csv"
    if not csv.exists():
        sheet = pd.read_csv(full, dtype=str, keep_default_na=False)
        sheet[sheet["Part"] == part].to_csv(csv, index=False)
    return csv


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="all", choices=["all", *PARTS])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(build_real_set(seed=args.seed, part=args.part))
