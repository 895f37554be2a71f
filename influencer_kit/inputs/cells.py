"""What one spreadsheet cell holds: nothing, a link to a video, or a number."""
from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from pathlib import Path

from influencer_kit.inputs.decimals import DECIMALS, number_from_text

URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")  # a scheme, then no spaces: https://..., file://...


def resolve_path(path: str, base_dir: Path) -> Path:
    """A local path with ``~`` expanded, relative ones taken from ``base_dir`` (the spreadsheet's folder)."""
    p = Path(os.path.expanduser(path))  # unlike Path.expanduser, leaves an unknown ~user alone
    return p if p.is_absolute() else Path(base_dir) / p


def is_blank(value: object) -> bool:
    """An empty cell as pandas reads it: None, NaN or only spaces."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def cell_text(value: object) -> str:
    """The cell as text, "" when blank."""
    return "" if is_blank(value) else str(value).strip()


def is_link(value: object, base: Path) -> bool:
    """Whether the cell names a video the way the URL column does: a URL with a scheme, or the path
    of a file that is there (a relative one taken from `base`, the spreadsheet's folder)."""
    if not isinstance(value, str) or not value.strip():
        return False
    text = value.strip()
    if URL.fullmatch(text):
        return True
    try:
        return resolve_path(text, base).is_file()
    except (OSError, ValueError):  # a name too long, or holding a NUL, is no file
        return False


def is_number(value: object) -> bool:
    """Whether the cell holds a number: stored as one, or text that reads as one with either decimal mark."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return math.isfinite(value)
    for decimal in DECIMALS:
        try:
            return math.isfinite(number_from_text(str(value), decimal))
        except ValueError:
            continue
    return False


def mostly(test: Callable[[object], bool], cells: list[object], share: float = 0.5) -> bool:
    """Whether more than `share` of the cells that are not blank pass `test` (False when all are blank)."""
    filled = [cell for cell in cells if not is_blank(cell)]
    return bool(filled) and sum(map(test, filled)) > share * len(filled)
