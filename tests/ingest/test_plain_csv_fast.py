"""A plain CSV export with a blank line anywhere is left to the careful reader, whatever its
width and wherever the line: pyarrow reads a blank line of a wider file as a row (tried while
making the plain check cheaper), so ``_plain_bytes`` must keep looking for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftflag.ingest._plain_csv import read_plain


@pytest.mark.parametrize("text", [
    "a,b\n\n1,2\n", "a,b\n1,2\n\n", "a,b\n1,2\n\n\n", "a,b\r\n1,2\r\n\r\n", "a,b\n1,2\n\n3,4", "a,b,c\n1,2,3\n\n",
    "a\n\n1\n", "a\n1\n\n", "a\n1\n\n2", "\na,b\n1,2\n", "a,b\n,\n\n,\n",
])
def test_a_blank_line_is_left_to_the_careful_reader(tmp_path: Path, text: str) -> None:
    path = tmp_path / "list_3.csv"
    path.write_bytes(text.encode())
    assert read_plain(path) is None


@pytest.mark.parametrize("text", ["a,b\n1,2\n", "a,b\n1,2", "a\n1\n2\n", "a,b\n,\n1,2\n"])
def test_without_blank_lines_the_file_stays_plain(tmp_path: Path, text: str) -> None:
    path = tmp_path / "list_3.csv"
    path.write_bytes(text.encode())
    assert read_plain(path) is not None
