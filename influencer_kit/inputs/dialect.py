"""A CSV file's dialect: its separator (comma, semicolon or tab) and quote character, found by the
standard library's `csv.Sniffer`, and a UTF-8 byte order mark read away (Excel's "CSV UTF-8" writes
one). A European Excel saves `Video URL;Performance` with semicolons, a Google Sheets export uses
commas, a copy from a web table tabs."""
from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

SEPARATORS = ",;\t"
SAMPLE_BYTES = 64 * 1024  # what the sniffer reads: the first whole lines within it
ENCODING = "utf-8-sig"  # UTF-8, with or without a byte order mark


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file separates and quotes its fields."""

    separator: str = ","
    quotechar: str = '"'
    how: str = "the sniffer could not tell; a comma"

    def rows(self, path: Path, limit: int) -> list[list[str]]:
        """The first `limit` rows as lists of cells (a blank line is an empty row), however many
        cells each has: title lines above the header have fewer."""
        with path.open(newline="", encoding=ENCODING, errors="replace") as text:
            reader: Iterator[list[str]] = csv.reader(text, delimiter=self.separator, quotechar=self.quotechar)
            return list(islice(reader, limit))

    def name(self) -> str:
        """The separator in words, for the run's choices: `;`, `,` or `tab`."""
        return "tab" if self.separator == "\t" else self.separator


def sniff(path: Path, title_lines: int) -> CsvDialect:
    """The dialect of the CSV at `path`, sniffed from its first lines. Lines of a title above the
    header (up to `title_lines`) make the fields per line look irregular, so when the sniffer cannot
    tell, it is asked again without the first line. A comma and double quotes when it never can
    (a file of one column, or of one line)."""
    with path.open("rb") as raw:
        sample = raw.read(SAMPLE_BYTES)
    text = sample.decode(ENCODING, errors="replace")
    if len(sample) == SAMPLE_BYTES:
        text = text[: text.rfind("\n") + 1] or text  # whole lines only
    lines = text.splitlines(keepends=True)
    for start in range(min(len(lines), title_lines + 1)):
        try:
            found = csv.Sniffer().sniff("".join(lines[start:]), delimiters=SEPARATORS)
        except csv.Error:
            continue
        return CsvDialect(found.delimiter, found.quotechar or '"', "sniffed")
    return CsvDialect()
