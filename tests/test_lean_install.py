"""The default install leaves out TensorFlow, tf-keras, deepface, retina-face, psycopg and the sample
generators' libraries: the default run (the demo) imports none of them, and a setting that needs one
says in one line which extra to install."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CLI_MAIN, run_python_without

EXTRA_ONLY = ("tensorflow", "tf_keras", "keras", "deepface", "retinaface")  # the `deepface` extra
SAMPLES_ONLY = ("influencer_kit_samples", "skimage", "matplotlib")  # the generators and their photos
POSTGRES_ONLY = ("psycopg",)  # the `postgres` extra: a team's registry


def _run_demo_without(modules: tuple[str, ...], tmp_path: Path, *overrides: str):
    """The CLI on the built-in demo, in one process (so nothing is imported out of sight), with
    `modules` impossible to import."""
    args = [f"output.dir={tmp_path / 'out'}", f"cache.dir={tmp_path / 'cache'}",
            f"tracking.uri=sqlite:///{tmp_path / 'mlflow.db'}", "output.progress=false", "executor.workers=1",
            *overrides]
    return run_python_without(modules, CLI_MAIN, args, cwd=tmp_path, timeout=600)


def test_the_default_run_needs_no_extra_and_no_sample_library(tmp_path: Path) -> None:
    done = _run_demo_without(EXTRA_ONLY + SAMPLES_ONLY + POSTGRES_ONLY, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "rows: 10  ok: 7  no_face: 1  decode_error: 1  download_error: 1" in done.stdout
    assert "influencers: 2 (ranked: 2)" in done.stdout


HINT = "which the default install leaves out: pip install 'influencer-kit[deepface]' " \
       "(in a checkout: .venv/bin/pip install -e '.[deepface]')"


@pytest.mark.parametrize(("setting", "missing", "line"), [
    ("detector=retinaface", "retinaface", f"error: detector=retinaface needs the retinaface package, {HINT}"),
    ("embedder=deepface", "deepface", f"error: embedder=deepface needs the deepface package, {HINT}"),
    ("detector.runtime=tensorflow", "tensorflow",
     f"error: detector.runtime=tensorflow needs the tensorflow package, {HINT}"),
])
def test_a_setting_that_needs_the_extra_names_it_in_one_line(tmp_path: Path, setting: str, missing: str,
                                                              line: str) -> None:
    done = _run_demo_without((missing,), tmp_path, setting)
    assert done.returncode == 2, done.stderr[-3000:]
    assert [text for text in done.stderr.splitlines() if text.startswith("error:")] == [line]
    assert "Traceback" not in done.stderr


def test_a_postgresql_registry_without_its_extra_names_it_in_one_line(tmp_path: Path) -> None:
    done = _run_demo_without(POSTGRES_ONLY, tmp_path, "registry.uri=postgresql://ana@127.0.0.1/people")
    assert done.returncode == 2, done.stderr[-3000:]
    assert [text for text in done.stderr.splitlines() if text.startswith("error:")] == [
        "error: registry.uri=postgresql://ana@127.0.0.1/people needs the psycopg package, which the default install "
        "leaves out: pip install 'influencer-kit[postgres]' (in a checkout: .venv/bin/pip install -e '.[postgres]')"]
    assert not (tmp_path / "out").exists()  # before any work
