"""Text out of a document's bytes: a PDF's text layer, else OCR of each page with Tesseract (Hindi and
English, the page turned upright first by Tesseract's orientation detection).

Everything here runs on OS threads (pool.py): it touches no green object. Tesseract runs as a child
process through the unpatched `subprocess`; pdfium is not thread-safe, so its calls take an OS lock."""
from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass

from eventlet import patcher

from .text import words

subprocess = patcher.original("subprocess")
threading = patcher.original("threading")

PDFIUM_LOCK = threading.Lock()
# Tesseract's OpenMP threads would fight the pool for the cores (and spin): one core per page.
ONE_THREAD = {**os.environ, "OMP_THREAD_LIMIT": "1"}
LANGUAGES = "hin+eng"
OCR_DPI = 300
# A page whose text layer has fewer words than this is a scan (a stamp or page number at most).
MIN_TEXT_LAYER_WORDS = 3
TESSERACT_SECONDS = 120
OSD_PIXELS = (1800, 1400, 2400)
MIN_OSD_CONFIDENCE = 1.0
# Below this mean word confidence a page is read upside down too: upright pages of the test set read
# at 85 to 97, upside-down ones at up to 44.
UNSURE_CONFIDENCE = 70.0
# pypdf gives control characters where a font's glyphs for Devanagari conjuncts map to no text
# (नि\x10र्धा\x12\x13रण for निर्धारण); without them the word is whole again.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
ROTATION = re.compile(r"Rotate:\s*(\d+)")
CONFIDENCE = re.compile(r"Orientation confidence:\s*([\d.]+)")


class Unreadable(Exception):
    """A document that gives no text, with the reason kept for it."""


@dataclass(frozen=True)
class Plan:
    """A document opened: how many pages, the text of those with a text layer (None: needs OCR)."""

    page_count: int
    texts: list[str | None]
    truncated_from: int | None = None


def plan(data: bytes, content_type: str | None, max_pages: int) -> Plan:
    """Open the document: its pages up to `max_pages`, with the text layer of each where there is one."""
    if data.startswith(b"%PDF-"):
        return _plan_pdf(data, max_pages)
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            frames = getattr(image, "n_frames", 1)
    except Exception as exc:  # Pillow raises many kinds for a broken image
        raise Unreadable(f"unreadable image: {type(exc).__name__}") from None
    return Plan(min(frames, max_pages), [None] * min(frames, max_pages), frames if frames > max_pages else None)


def _plan_pdf(data: bytes, max_pages: int) -> Plan:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unreadable("encrypted PDF: no text without its password")
        count = len(reader.pages)
    except Unreadable:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise Unreadable(f"unreadable PDF: {type(exc).__name__}") from None
    if count == 0:
        raise Unreadable("no pages")
    taken = min(count, max_pages)
    texts = []
    for number in range(taken):
        try:
            layer = reader.pages[number].extract_text() or ""
        except Exception:  # a broken content stream: OCR the page instead
            layer = ""
        layer = CONTROL.sub("", layer)
        texts.append(layer if len(words(layer)) >= MIN_TEXT_LAYER_WORDS else None)
    return Plan(count, texts, count if count > max_pages else None)


def page_image(data: bytes, number: int):
    """Page `number` (from 0) of a PDF or image as a greyscale Pillow image."""
    from PIL import Image

    if data.startswith(b"%PDF-"):
        import pypdfium2

        with PDFIUM_LOCK:
            document = pypdfium2.PdfDocument(data)
            try:
                image = document[number].render(scale=OCR_DPI / 72, grayscale=True).to_pil()
            finally:
                document.close()
        return image
    with Image.open(io.BytesIO(data)) as source:
        source.seek(number)
        return source.convert("L")


def ocr_page(data: bytes, number: int, languages: str = LANGUAGES) -> str:
    """The text of page `number` by Tesseract, the page turned upright first. A page whose lines run
    across it is read as it is, and read upside down as well only if Tesseract was unsure of it: so
    most pages cost one reading, as the bare `tesseract` command would."""
    image = page_image(data, number)
    if _lines_run_sideways(image):
        image = image.rotate(-orientation(image), expand=True, fillcolor=255)
    text, confidence = read_words(image, languages)
    if confidence < UNSURE_CONFIDENCE:
        turned, turned_confidence = read_words(image.rotate(180), languages)
        if turned_confidence > confidence:
            return turned
    return text


def read_words(image, languages: str = LANGUAGES) -> tuple[str, float]:
    """Tesseract's text of the image (lines as it found them, a blank line between paragraphs) and its
    mean word confidence (0 to 100; 0 without words)."""
    table = tesseract(_png(image), ["-l", languages, "--psm", "3", "tsv"])
    lines, confidences, last_line, last_paragraph = [], [], None, None
    for row in table.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        paragraph, line = tuple(cells[2:4]), tuple(cells[2:5])
        if line != last_line:
            if last_paragraph is not None and paragraph != last_paragraph:
                lines.append("")
            lines.append(cells[11])
            last_line, last_paragraph = line, paragraph
        else:
            lines[-1] += " " + cells[11]
        confidences.append(float(cells[10]))
    return "\n".join(lines), (sum(confidences) / len(confidences) if confidences else 0.0)


def orientation(image) -> int:
    """Degrees (clockwise) that turn a sideways page upright, by Tesseract's OSD on the page scaled to
    a few sizes (on Devanagari it often finds "too few characters" at one size and answers at
    another); if it never answers, the quarter turn whose OCR is the more confident."""
    for pixels in OSD_PIXELS:
        scale = pixels / max(image.size)
        scaled = image.resize((round(image.width * scale), round(image.height * scale))) if scale < 1 else image
        try:
            report = tesseract(_png(scaled), ["--psm", "0", "-l", "osd"])
        except Unreadable:
            continue
        found, confidence = ROTATION.search(report), CONFIDENCE.search(report)
        if found and confidence and float(confidence.group(1)) >= MIN_OSD_CONFIDENCE:
            return int(found.group(1))
    return max((90, 270), key=lambda turn: _confidence(image.rotate(-turn, expand=True, fillcolor=255)))


def _lines_run_sideways(image) -> bool:
    """Whether ink varies more from column to column than from row to row: lines of text running up
    or down the page."""
    small = image.convert("L").resize((300, round(300 * image.height / image.width)))
    width, height = small.size
    ink = [255 - value for value in small.getdata()]
    rows = [sum(ink[y * width:(y + 1) * width]) for y in range(height)]
    columns = [sum(ink[x::width]) for x in range(width)]
    return _spread(columns) > _spread(rows)


def _spread(values) -> float:
    mean = sum(values) / len(values)
    return (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5 / (mean or 1)


def _confidence(image) -> float:
    """Tesseract's mean word confidence on the middle third of the page."""
    third = image.crop((0, image.height // 3, image.width, 2 * image.height // 3))
    try:
        table = tesseract(_png(third), ["-l", LANGUAGES, "--psm", "6", "tsv"])
    except Unreadable:
        return 0.0
    confidences = [float(line.split("\t")[10]) for line in table.splitlines()[1:]
                   if line.count("\t") >= 11 and line.split("\t")[11].strip()]
    return sum(confidences) / len(confidences) if confidences else 0.0


def tesseract(png: bytes, arguments: list[str]) -> str:
    try:
        done = subprocess.run(["tesseract", "stdin", "stdout", *arguments], input=png, capture_output=True,
                              timeout=TESSERACT_SECONDS, check=False, env=ONE_THREAD)
    except subprocess.TimeoutExpired:
        raise Unreadable(f"OCR took over {TESSERACT_SECONDS} s on a page") from None
    except FileNotFoundError:
        # make run on a machine without Debian's tesseract-ocr: the scan is recorded, not retried forever.
        raise Unreadable("OCR is not installed on this machine (tesseract-ocr, tesseract-ocr-hin)") from None
    if done.returncode != 0:
        raise Unreadable("OCR failed: " + done.stderr.decode("utf-8", "replace").strip().splitlines()[-1][:200]
                         if done.stderr.strip() else "OCR failed")
    return done.stdout.decode("utf-8", "replace")


def _png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
