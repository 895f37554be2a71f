"""Realistic links: a local HTTP server that throttles every response (`RATE` bytes/s per
connection, `FIRST_BYTE_S` before the first byte) serving videos of 5-30 MB built here from
../shared/real (re-encoded at a phone's bitrate, never committed). For a sheet of N rows it measures,
each from cold caches and as a user runs it (`python -m influencer_kit`):
- downloads alone (`fetch_all`, the same `fetch.workers`),
- analysis alone (the whole run with every download already cached: everything but the network),
- the streaming run (downloads and analysis overlapped),
- the seed-style loop (download one video, analyse it as benchmarks/baseline.py does, then the next),
printing wall time, peak memory (PSS) of every process, disk used, frames and faces.

Rows repeat a set of `--distinct` videos (distinct bytes: remuxed copies of 12 encodes), each row
at its own URL, so every row's download really goes through the throttled server while videos
with the same bytes are analysed once, as in a real sheet that lists a video twice.

    python benchmarks/streaming.py --rows 200 --distinct 100
    python benchmarks/streaming.py --rows 2000 --distinct 100 --only stream
"""
from __future__ import annotations

import argparse
import http.server
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from measure import Measured, commit, load, machine, run_measured, write_report

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data" / "streaming"
REAL = ROOT.parent / "shared" / "real" / "clips"
RATE = 2_000_000  # bytes per second, per connection
FIRST_BYTE_S = 0.15
CHUNK = 64 * 1024
# (clip of ../shared/real, size in MB): people of all kinds, 5-30 MB at 720p, 10-20 s long
BASES = [("obama_interview.mp4", 5), ("macron_address.mp4", 7), ("acosta_news.mp4", 9),
         ("astley_music_video.mp4", 11), ("webcam_man_glasses.mp4", 13), ("seehorn_promo.mp4", 15),
         ("woman_face_expressions.mp4", 18), ("duet_split_screen.mp4", 21), ("anchor_de_news.mp4", 24),
         ("dirty_dancing_scene.mp4", 27), ("film_crowd_scene.mp4", 30), ("lieu_address.mp4", 8)]
SECONDS = 15  # every base is looped or cut to this long


def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def build_videos(distinct: int) -> list[Path]:
    """`distinct` videos of distinct bytes: each base re-encoded once at 720p at the bitrate that
    gives its size, then copied into new containers with a different comment (no re-encoding)."""
    bases = DATA / "bases"
    bases.mkdir(parents=True, exist_ok=True)
    for clip, mb in BASES:
        out = bases / f"{Path(clip).stem}_{mb}mb.mp4"
        if not out.exists():
            rate = mb * 8_000_000 // SECONDS
            subprocess.run([ffmpeg(), "-v", "error", "-y", "-stream_loop", "-1", "-i", str(REAL / clip), "-t",
                            str(SECONDS), "-vf", "scale=-2:720", "-c:v", "libx264", "-preset", "ultrafast",
                            "-b:v", str(rate), "-maxrate", str(rate), "-bufsize", str(rate), "-an",
                            str(out.with_suffix(".tmp.mp4"))], check=True)
            out.with_suffix(".tmp.mp4").rename(out)
    encoded = sorted(bases.glob("*mb.mp4"), key=lambda p: int(p.stem.rsplit("_", 1)[1][:-2]))
    videos = []
    for i in range(distinct):
        out = DATA / "videos" / f"v{i:04d}.mp4"
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([ffmpeg(), "-v", "error", "-y", "-i", str(encoded[i % len(encoded)]), "-c", "copy",
                            "-metadata", f"comment=copy {i}", str(out)], check=True)
        videos.append(out)
    return videos


class Throttled(http.server.SimpleHTTPRequestHandler):
    """Files of the folder served at `RATE` bytes/s per connection after `FIRST_BYTE_S`."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = Path(self.directory) / Path(self.path.split("?")[0]).name
        if not path.is_file():
            self.send_error(404)
            return
        time.sleep(FIRST_BYTE_S)
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(path.stat().st_size))
        self.end_headers()
        start, sent = time.monotonic(), 0
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                ahead = sent / RATE - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
                try:
                    self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    return
                sent += len(chunk)


def serve(folder: Path, port_file: Path) -> None:
    """Serve `folder` throttled until killed; the port goes to `port_file`."""
    import functools

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Throttled, directory=str(folder)))
    server.daemon_threads = True
    port_file.write_text(str(server.server_address[1]))
    server.serve_forever()


def write_sheet(path: Path, rows: int, videos: list[Path], base: str) -> int:
    """Row i shows video i mod len(videos), at a URL of its own; returns the bytes the rows list."""
    rng = random.Random(0)
    urls = [f"{base}/{videos[i % len(videos)].name}?row={i + 1}" for i in range(rows)]
    pd.DataFrame({"Video URL": urls, "Performance": [round(rng.uniform(0, 100), 2) for _ in urls]}).to_csv(path, index=False)
    return sum(videos[i % len(videos)].stat().st_size for i in range(rows))


def du(path: Path) -> int:
    """Bytes of the files under `path`, a file linked twice counted once."""
    seen, total = set(), 0
    for p in path.rglob("*") if path.exists() else []:
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


def kit(sheet: Path, work: Path, cache: Path, fetch_workers: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "influencer_kit", f"data.path={sheet}", f"output.dir={work / 'out'}",
            f"cache.dir={cache}", f"hydra.run.dir={work / 'hydra'}", f"tracking.uri=sqlite:///{work / 'mlflow.db'}",
            f"registry.uri={work / 'registry.db'}", f"fetch.workers={fetch_workers}", f"executor.workers={workers}",
            "output.progress=false"]


def checked(measured: Measured, what: str) -> Measured:
    if measured.returncode != 0:
        raise SystemExit(f"{what} failed ({measured.returncode}):\n{measured.output[-4000:]}")
    return measured


def counts(out: Path) -> dict:
    """Rows by status, frames and faces (each distinct video once), files in the output folders."""
    table = pd.read_csv(out / "ProcessedVideos_videos.csv")
    first = table.loc[table["video_sha256"].notna()].drop_duplicates("video_sha256")
    return {"rows": len(table), "status": table["status"].value_counts().to_dict(),
            "videos": len(first), "frames": int(first["frames_sampled"].sum()),
            "faces": int(first["faces_detected"].sum()),
            "files": sum(1 for _ in out.rglob("*.jpg")), "out_bytes": du(out)}


def peaks(measured: Measured) -> dict:
    """Peak PSS of the main process (the first seen) and of every other process of the tree, in MiB."""
    items = list(measured.peak_by_process.items())
    main = items[0][1][1] if items else 0
    others = sorted((size for _, (_, size) in items[1:]), reverse=True)
    return {"main_mib": main / 2**20, "others_mib": [round(s / 2**20) for s in others],
            "tree_mib": measured.peak_bytes / 2**20}


def seed_loop(sheet: Path, work: Path) -> dict:
    """The seed's way, one row at a time: download the video (one connection), then its first
    frame, MTCNN on it and DeepFace's Dlib on each face (benchmarks/baseline.py)."""
    import cv2
    import requests
    from baseline import MIN_CONFIDENCE, deepface_home_with_dlib_weights, first_frame

    os.environ["DEEPFACE_HOME"] = deepface_home_with_dlib_weights()
    from deepface import DeepFace
    from mtcnn import MTCNN

    start = time.perf_counter()
    detector = MTCNN()
    DeepFace.build_model(task="facial_recognition", model_name="Dlib")
    times = {"start": time.perf_counter() - start, "download": 0.0, "analyse": 0.0}
    frames = faces = 0
    video = work / "video.mp4"
    for url in pd.read_csv(sheet)["Video URL"]:
        t = time.perf_counter()
        with requests.get(url, stream=True, timeout=60) as reply, open(video, "wb") as out:
            reply.raise_for_status()
            for chunk in reply.iter_content(1 << 20):
                out.write(chunk)
        times["download"] += time.perf_counter() - t
        t = time.perf_counter()
        frame = first_frame(video)
        if frame is not None:
            frames += 1
            for face in detector.detect_faces(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)):
                if face["confidence"] >= MIN_CONFIDENCE:
                    x, y, w, h = (max(0, int(v)) for v in face["box"])
                    DeepFace.represent(img_path=frame[y: y + h, x: x + w], model_name="Dlib",
                                       detector_backend="skip", enforce_detection=False)
                    faces += 1
        times["analyse"] += time.perf_counter() - t
    return {"times": times, "frames": frames, "faces": faces}


def fetch_only(sheet: Path, cache: Path, workers: int) -> None:
    from influencer_kit.acquire.download import FetchConfig
    from influencer_kit.acquire.fetch import fetch_all
    from influencer_kit.inputs.sheet import read_sheet

    table = read_sheet(sheet, None, None, None, None)
    fetched = fetch_all([(r.row, r.url) for r in table.rows], sheet.parent, cache, FetchConfig(workers=workers),
                        progress=False)
    bad = [f for f in fetched if f.status != "ok"]
    if bad:
        raise SystemExit(f"{len(bad)} downloads failed: {bad[0].error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--distinct", type=int, default=100, help="videos of distinct bytes the rows repeat")
    parser.add_argument("--fetch-workers", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="executor.workers")
    parser.add_argument("--only", nargs="+", default=["downloads", "analysis", "stream", "seed"],
                        choices=["downloads", "analysis", "stream", "seed"])
    parser.add_argument("--seed-rows", type=int, default=None, help="rows the seed-style loop runs (default: all)")
    parser.add_argument("--name", default=None, help="results file name (default streaming_<rows>.md)")
    args = parser.parse_args()

    videos = build_videos(args.distinct)
    work = Path(tempfile.mkdtemp(prefix="ik-streaming-"))
    port_file = work / "port"
    server = subprocess.Popen([sys.executable, __file__, "serve", str(DATA / "videos"), str(port_file)])
    try:
        while not port_file.exists() or not port_file.read_text():
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port_file.read_text()}"
        sheet = work / "videos.csv"
        listed = write_sheet(sheet, args.rows, videos, base)
        results = measure_all(args, sheet, work)
    finally:
        server.kill()
        shutil.rmtree(work, ignore_errors=True)
    report(args, videos, listed, results)


def measure_all(args: argparse.Namespace, sheet: Path, work: Path) -> dict:
    results: dict = {}
    if "downloads" in args.only or "analysis" in args.only:
        cache = work / "d-cache"
        m = checked(run_measured([sys.executable, __file__, "fetch", str(sheet), str(cache), str(args.fetch_workers)]),
                    "downloads alone")
        results["downloads"] = {"m": m, "disk": du(cache)}
        if "analysis" in args.only:
            m = checked(run_measured(kit(sheet, work / "a", cache, args.fetch_workers, args.workers)), "analysis alone")
            results["analysis"] = {"m": m, **counts(work / "a" / "out")}
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(work / "a", ignore_errors=True)
    if "stream" in args.only:
        cache = work / "s-cache"
        m = checked(run_measured(kit(sheet, work / "s", cache, args.fetch_workers, args.workers)), "streaming run")
        results["stream"] = {"m": m, **counts(work / "s" / "out"), "cache_bytes": du(cache),
                             "videos_bytes": du(cache / "videos"), "faces_cache_bytes": du(cache / "faces")}
        shutil.rmtree(cache, ignore_errors=True)
    if "seed" in args.only:
        seed_sheet = sheet
        if args.seed_rows:
            seed_sheet = work / "seed.csv"
            pd.read_csv(sheet).head(args.seed_rows).to_csv(seed_sheet, index=False)
        out = work / "seed.json"
        m = checked(run_measured([sys.executable, __file__, "seed", str(seed_sheet), str(work), str(out)]), "seed loop")
        results["seed"] = {"m": m, **json.loads(out.read_text()), "rows": len(pd.read_csv(seed_sheet))}
    return results


def report(args: argparse.Namespace, videos: list[Path], listed: int, results: dict) -> None:
    sizes = [p.stat().st_size / 1e6 for p in videos]
    lines = [f"# Streaming: {args.rows} rows over throttled links", "",
             f"Commit {commit()}; {machine()}; load average at the end {load()} (2 cores shared with other work).",
             f"Server: {RATE / 1e6:.0f} MB/s per connection, {FIRST_BYTE_S * 1000:.0f} ms before the first byte. "
             f"`fetch.workers={args.fetch_workers}`, `executor.workers={args.workers}`.",
             f"{args.rows} rows over {len(videos)} distinct videos ({min(sizes):.1f}-{max(sizes):.1f} MB, mean "
             f"{sum(sizes) / len(sizes):.1f} MB, 720p, {SECONDS} s; built from ../shared/real, which the defaults were "
             f"tuned on only for clustering distances, not speed); every row its own URL: {listed / 1e9:.2f} GB "
             f"through the server per run.", "",
             "| run | wall s | main process peak MiB | other processes' peaks MiB | tree peak MiB | CPU s |",
             "| --- | ---: | ---: | --- | ---: | ---: |"]
    for name, label in [("downloads", "downloads alone"), ("analysis", "analysis alone (downloads cached)"),
                        ("stream", "streaming run"), ("seed", "seed-style loop")]:
        if name in results:
            m, p = results[name]["m"], peaks(results[name]["m"])
            rows = f" ({results[name]['rows']} rows)" if name == "seed" else ""
            lines.append(f"| {label}{rows} | {m.wall_s:.1f} | {p['main_mib']:.0f} | {p['others_mib']} | "
                         f"{p['tree_mib']:.0f} | {m.cpu_s:.0f} |")
    lines.append("")
    for name in ("analysis", "stream"):
        if name in results:
            r = results[name]
            lines.append(f"- {name}: rows {r['rows']} {r['status']}; {r['videos']} distinct videos, {r['frames']} "
                         f"frames, {r['faces']} faces; output folder {r['out_bytes'] / 1e6:.1f} MB in {r['files']} "
                         f"JPEGs ({r['out_bytes'] / max(1, r['videos']) / 1e3:.0f} kB per distinct video)")
    if "stream" in results:
        r = results["stream"]
        lines.append(f"- cache after the streaming run: videos {r['videos_bytes'] / 1e6:.0f} MB, face cache "
                     f"{r['faces_cache_bytes'] / 1e6:.1f} MB ({r['faces_cache_bytes'] / max(1, r['videos']) / 1e3:.0f} "
                     f"kB per video)")
    if "seed" in results:
        s = results["seed"]
        lines.append(f"- seed-style loop: {s['rows']} rows, download {s['times']['download']:.1f} s, analysis "
                     f"{s['times']['analyse']:.1f} s, model load {s['times']['start']:.1f} s; {s['frames']} frames, "
                     f"{s['faces']} faces")
    if {"downloads", "analysis", "stream"} <= results.keys():
        larger = max(results["downloads"]["m"].wall_s, results["analysis"]["m"].wall_s)
        lines.append(f"- streaming wall / max(downloads alone, analysis alone) = "
                     f"{results['stream']['m'].wall_s / larger:.2f} (target <= 1.15)")
    if {"stream", "seed"} <= results.keys():
        ratio = results["stream"]["m"].wall_s / results["seed"]["m"].wall_s * results["seed"]["rows"] / args.rows
        lines.append(f"- streaming wall / seed-style loop (per row) = {ratio:.2f} (target <= 0.5)")
    lines.append("")
    write_report("\n".join(lines), args.name or f"streaming_{args.rows}.md")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(Path(sys.argv[2]), Path(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "fetch":
        fetch_only(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "seed":
        Path(sys.argv[4]).write_text(json.dumps(seed_loop(Path(sys.argv[2]), Path(sys.argv[3]))))
    else:
        main()
