"""Workspace files as the model reads them: text (with paging) or an image block.

Text is extracted with well-kept libraries: pypdf (PDF), python-docx (DOCX), openpyxl (XLSX),
python-pptx (PPTX); CSV and other text files are decoded as UTF-8. Images become Messages API
image blocks. A file that is too large, of an unsupported type, or broken gets one clear line
back instead of an error, so the model can decide what to do (often: `run_code` on it).
"""

from __future__ import annotations

import base64
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from connectors.sandbox.limits import MB

PAGE_CHARS = 20_000
MAX_EXTRACT_BYTES = 50 * MB
MAX_IMAGE_BYTES = 5 * MB
"""The Messages API's limit for one base64 image."""
MAX_SHEET_ROWS = 5_000
IMAGES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
TEXT = frozenset(
    [
        ".txt",
        ".md",
        ".csv",
        ".tsv",
        ".json",
        ".jsonl",
        ".yaml",
        ".yml",
        ".xml",
        ".html",
        ".htm",
        ".py",
        ".sh",
        ".sql",
        ".log",
        ".ini",
        ".toml",
    ]
)


def size_label(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < MB:
        return f"{size / 1024:.1f} KB"
    return f"{size / MB:.1f} MB"


def read(
    path: Path, shown: str, *, offset: int = 0, limit: int = PAGE_CHARS
) -> str | list[dict[str, Any]]:
    """The page of `path` starting at character `offset`, or an image block; `shown` names it."""
    if not path.is_file():
        return f"{shown}: no such file in the workspace"
    size = path.stat().st_size
    suffix = path.suffix.lower()
    if suffix in IMAGES:
        return _image(path, shown, size, IMAGES[suffix])
    if size > MAX_EXTRACT_BYTES:
        return (
            f"{shown} is {size_label(size)}, over the {size_label(MAX_EXTRACT_BYTES)} that"
            " read_file extracts; use run_code to process it in parts"
        )
    extract = _EXTRACTORS.get(suffix)
    try:
        if extract is not None:
            text = extract(path)
        elif suffix in TEXT or _looks_like_text(path):
            text = path.read_text(encoding="utf-8", errors="replace")
        else:
            return (
                f"{shown} ({size_label(size)}) is a binary file read_file cannot show;"
                " use run_code to inspect it"
            )
    except Exception as exc:  # broken or hostile files: one line, never a crash
        return f"{shown}: could not read it as {suffix or 'text'} ({type(exc).__name__}: {exc})"[
            :500
        ]
    return page(text, shown, offset=offset, limit=limit)


def page(text: str, shown: str, *, offset: int, limit: int) -> str:
    offset = max(0, offset)
    chunk = text[offset : offset + limit]
    end = offset + len(chunk)
    if offset == 0 and end >= len(text):
        return chunk or f"{shown} is empty"
    more = f"; read_file with offset={end} for more" if end < len(text) else ""
    return f"{chunk}\n\n[{shown}: characters {offset}–{end} of {len(text)}{more}]"


def _image(path: Path, shown: str, size: int, media_type: str) -> str | list[dict[str, Any]]:
    if size > MAX_IMAGE_BYTES:
        return (
            f"{shown} is a {size_label(size)} image, over the {size_label(MAX_IMAGE_BYTES)} the"
            " model accepts; use run_code to make a smaller copy, then read that"
        )
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return [
        {"type": "text", "text": f"{shown} ({media_type}, {size_label(size)}):"},
        {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}},
    ]


def _looks_like_text(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4096)
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(head) - 4  # a character cut at the end of the sample
    return True


def _pdf(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(path)
    return "\n\n".join(
        f"--- page {number} ---\n{page.extract_text() or ''}"
        for number, page in enumerate(reader.pages, start=1)
    )


def _docx(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += ["\t".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(parts)


def _xlsx(path: Path) -> str:
    import openpyxl

    _check_zip(path)
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return "\n\n".join(_sheet(sheet.title, sheet.iter_rows(values_only=True)) for sheet in book)
    finally:
        book.close()


def _sheet(title: str, rows: Iterator[tuple[Any, ...]]) -> str:
    lines = [f"--- sheet {title} ---"]
    for number, row in enumerate(rows):
        if number >= MAX_SHEET_ROWS:
            lines.append(f"[rows after {MAX_SHEET_ROWS} not shown; use run_code with pandas]")
            break
        lines.append("\t".join("" if v is None else str(v) for v in row))
    return "\n".join(lines)


def _pptx(path: Path) -> str:
    from pptx import Presentation

    deck = Presentation(str(path))
    slides = []
    for number, slide in enumerate(deck.slides, start=1):
        texts = [
            shape.text_frame.text
            for shape in slide.shapes
            if shape.has_text_frame and shape.text_frame.text
        ]
        slides.append(f"--- slide {number} ---\n" + "\n".join(texts))
    return "\n\n".join(slides)


def _check_zip(path: Path) -> None:
    """Office files are zips: refuse one that would expand far beyond what we extract."""
    with zipfile.ZipFile(path) as archive:
        if sum(info.file_size for info in archive.infolist()) > 20 * MAX_EXTRACT_BYTES:
            raise ValueError("it expands to more than 1 GB")


def _checked(extract: Callable[[Path], str]) -> Callable[[Path], str]:
    def run(path: Path) -> str:
        _check_zip(path)
        return extract(path)

    return run


_EXTRACTORS: dict[str, Callable[[Path], str]] = {
    ".pdf": _pdf,
    ".docx": _checked(_docx),
    ".xlsx": _xlsx,
    ".xlsm": _xlsx,
    ".pptx": _checked(_pptx),
}
