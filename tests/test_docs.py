"""The documentation: the MkDocs site builds in strict mode (no broken link, no page left out of the
nav), loads nothing from outside, draws the architecture, and the README points at its pages."""
from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import ROOT

DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_the_site_builds_strictly_with_every_page(site: Path) -> None:
    pages = sorted(p.stem for p in DOCS.glob("*.md"))
    assert "architecture" in pages and "install" in pages and "index" in pages
    for page in pages:
        assert (site / ("index.html" if page == "index" else f"{page}/index.html")).is_file(), page


def test_the_site_loads_nothing_from_outside(site: Path) -> None:
    external = re.compile(r"<(?:script|link|img)\b[^>]*(?:src|href)=\"(?:https?:)?//", re.IGNORECASE)
    offenders = [p.relative_to(site) for p in site.rglob("*.html") if external.search(p.read_text())]
    assert offenders == []


def test_the_architecture_drawing_names_stages_plugins_caches_mlflow_and_the_registry(site: Path) -> None:
    page = (site / "architecture" / "index.html").read_text()
    assert 'src="../architecture.svg"' in page
    svg = ET.parse(site / "architecture.svg").getroot()
    texts = " ".join(t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text"))
    for label in ["inputs/", "acquire/", "faces/", "execution/", "people/", "ranking/", "outputs/", "experiment/",
                  "plugin/ (pluggy)", "cache.dir", "faces/<key>/", "mlflow.db", "registry.db"]:
        assert label in texts, label


def test_the_readme_is_short_and_points_at_every_page() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 120
    assert re.findall(r"^make \w+", readme, re.MULTILINE) == ["make demo", "make test"]
    linked = set(re.findall(r"\]\(docs/([\w-]+)\.md\)", readme))
    assert linked == {p.stem for p in DOCS.glob("*.md")}
