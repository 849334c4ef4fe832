"""read_file's view of workspace files: text with paging, office formats, images, clear refusals."""

from __future__ import annotations

import base64
from pathlib import Path

import docx
import openpyxl
import pytest
from pptx import Presentation
from pptx.util import Inches

from connectors.sandbox import documents
from connectors.sandbox.documents import read


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path


def test_csv_text_comes_back_whole_when_it_fits(folder: Path) -> None:
    path = folder / "a.csv"
    path.write_text("vendor,amount\nAcme,120\n")
    assert read(path, "inputs/a.csv") == "vendor,amount\nAcme,120\n"


def test_long_text_is_paged_with_a_note_saying_how_to_go_on(folder: Path) -> None:
    path = folder / "long.txt"
    path.write_text("".join(f"{i:05d}\n" for i in range(10_000)))  # 60,000 characters
    first = read(path, "long.txt")
    assert isinstance(first, str)
    assert first.startswith("00000\n")
    assert "[long.txt: characters 0–20000 of 60000; read_file with offset=20000 for more]" in first
    last = read(path, "long.txt", offset=40_000)
    assert isinstance(last, str) and last.rstrip().endswith(
        "[long.txt: characters 40000–60000 of 60000]"
    )


def test_xlsx_sheets_become_tab_separated_rows(folder: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Q3"
    sheet.append(["vendor", "amount"])
    sheet.append(["Acme", 120])
    book.save(folder / "q3.xlsx")
    assert read(folder / "q3.xlsx", "q3.xlsx") == "--- sheet Q3 ---\nvendor\tamount\nAcme\t120"


def test_docx_paragraphs_and_tables_are_text(folder: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Budget review")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Acme", "over"
    document.save(str(folder / "r.docx"))
    assert read(folder / "r.docx", "r.docx") == "Budget review\nAcme\tover"


def test_pptx_slides_are_text(folder: Path) -> None:
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Q3 results"
    slide.shapes.add_textbox(Inches(1), Inches(2), Inches(4), Inches(1)).text_frame.text = "Up 4%"
    deck.save(str(folder / "d.pptx"))
    assert read(folder / "d.pptx", "d.pptx") == "--- slide 1 ---\nQ3 results\nUp 4%"


def test_an_image_is_an_image_block(folder: Path) -> None:
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    )
    (folder / "dot.png").write_bytes(png)
    blocks = read(folder / "dot.png", "outputs/dot.png")
    assert isinstance(blocks, list)
    assert blocks[1]["type"] == "image"
    assert blocks[1]["source"]["media_type"] == "image/png"
    assert base64.b64decode(blocks[1]["source"]["data"]) == png


def test_a_broken_spreadsheet_gets_a_line_not_a_crash(folder: Path) -> None:
    (folder / "bad.xlsx").write_bytes(b"not a zip at all")
    line = read(folder / "bad.xlsx", "bad.xlsx")
    assert isinstance(line, str) and line.startswith("bad.xlsx: could not read it as .xlsx")


def test_binary_files_are_refused_with_what_to_do(folder: Path) -> None:
    (folder / "blob.bin").write_bytes(bytes(range(256)) * 10)
    assert read(folder / "blob.bin", "blob.bin") == (
        "blob.bin (2.5 KB) is a binary file read_file cannot show; use run_code to inspect it"
    )


def test_oversized_files_and_images_are_refused(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "MAX_EXTRACT_BYTES", 10)
    monkeypatch.setattr(documents, "MAX_IMAGE_BYTES", 10)
    (folder / "a.csv").write_text("x" * 100)
    (folder / "a.png").write_bytes(b"x" * 100)
    assert "over the 10 B that read_file extracts" in str(read(folder / "a.csv", "a.csv"))
    assert "over the 10 B the model accepts" in str(read(folder / "a.png", "a.png"))


def test_a_missing_file_says_so(folder: Path) -> None:
    assert read(folder / "nope.txt", "nope.txt") == "nope.txt: no such file in the workspace"
