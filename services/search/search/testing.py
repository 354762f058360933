"""The OCR test set (tests/quality and bench/bench_search.py): pages rendered from known Hindi and English
text with the project's fonts (signing's Noto Sans and Noto Sans Devanagari), degraded the ways scans
are, saved as image-only PDFs."""
from __future__ import annotations

import io
import os
import random
from datetime import datetime, timezone

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from . import usecases
from .events import DATA_OF
from .usecases import Consumed, SearchCommand

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
FONTS_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "signing", "signing", "fonts")
DPI = 300
PAGE_SIZE = (int(8.27 * DPI), int(11.69 * DPI))  # A4
MARGIN = int(0.9 * DPI)

LETTERS = {
    "hi-pension": (
        "hi",
        "सेवा में, ज़िलाधिकारी महोदय, झाँसी। विषय: सेवानिवृत्त कर्मचारी श्री राम प्रसाद की पेंशन स्वीकृति के संबंध में। "
        "महोदय, निवेदन है कि प्रार्थी दिनांक तीस जून को राजस्व विभाग से सेवानिवृत्त हुआ था। "
        "प्रार्थी की पेंशन पत्रावली वरिष्ठ कोषाधिकारी कार्यालय में लंबित है तथा अभी तक भुगतान प्रारंभ नहीं हुआ है। "
        "अतः आपसे अनुरोध है कि पेंशन प्रकरण का शीघ्र निस्तारण कराने की कृपा करें। भवदीय, राम प्रसाद, ग्राम बड़ागाँव।",
    ),
    "hi-water": (
        "hi",
        "कार्यालय अधिशासी अभियंता, जल निगम, जालौन। पत्रांक दो सौ चौदह। विषय: ग्रामीण पेयजल योजना के अंतर्गत "
        "हैंडपंप मरम्मत हेतु धनराशि की मांग। उपर्युक्त विषयक शासनादेश के अनुपालन में अवगत कराना है कि "
        "विकास खंड कोंच के सत्रह गाँवों में हैंडपंप खराब पड़े हैं। गर्मी के मौसम में पानी की भारी समस्या है। "
        "कृपया मरम्मत कार्य हेतु आवश्यक धनराशि शीघ्र उपलब्ध कराने का कष्ट करें।",
    ),
    "en-land": (
        "en",
        "Office of the District Magistrate, Lalitpur. Subject: acquisition of land for the new district hospital. "
        "With reference to the letter of the Health Department dated the twelfth of March, the revenue inspector "
        "has surveyed the plots near the bus station. The owners of eleven plots have agreed to the compensation "
        "offered under the Act. Three owners have filed objections, which are pending before the Additional "
        "District Magistrate. Kindly issue directions for the early disposal of these objections.",
    ),
    "en-treasury": (
        "en",
        "Senior Treasury Officer, Jhansi. Sub: delay in the payment of salary bills of the Education Department. "
        "It is informed that the salary bills for the month of October were received without the required "
        "sanction orders. The drawing and disbursing officers are requested to submit the sanction orders and "
        "the updated pay slips within one week, failing which the bills will be returned. This has the approval "
        "of the competent authority.",
    ),
}
DEGRADATIONS = ("clean", "rotated", "upside_down", "noisy", "low_resolution")


def font(language: str, size: int = 46) -> ImageFont.FreeTypeFont:
    name = "NotoSansDevanagari-Regular.ttf" if language == "hi" else "NotoSans-Regular.ttf"
    return ImageFont.truetype(os.path.join(FONTS_DIR, name), size, layout_engine=ImageFont.Layout.RAQM)


def render_page(text: str, language: str) -> Image.Image:
    """A white A4 page at 300 dpi with `text` wrapped to the margins, black, shaped by HarfBuzz (Raqm)."""
    page = Image.new("L", PAGE_SIZE, 255)
    draw = ImageDraw.Draw(page)
    face = font(language)
    width = PAGE_SIZE[0] - 2 * MARGIN
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=face, language=language) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    lines.append(line)
    y = MARGIN
    for line in lines:
        draw.text((MARGIN, y), line, font=face, fill=0, language=language)
        y += int(face.size * 1.9)
    return page


def degrade(page: Image.Image, how: str, seed: int = 7) -> Image.Image:
    """`clean`; `rotated` (a quarter turn, as a page fed sideways); `upside_down`; `noisy` (speckles, a slight blur, a
    small skew); `low_resolution` (scanned at 100 dpi)."""
    if how == "clean":
        return page
    if how == "rotated":
        return page.rotate(90, expand=True, fillcolor=255)
    if how == "upside_down":
        return page.rotate(180)
    if how == "noisy":
        rng = random.Random(seed)
        noisy = page.rotate(1.2, expand=False, fillcolor=255, resample=Image.BICUBIC).filter(ImageFilter.GaussianBlur(1.0))
        pixels = noisy.load()
        width, height = noisy.size
        for _ in range(width * height // 150):
            pixels[rng.randrange(width), rng.randrange(height)] = rng.choice((0, 90, 170))
        return noisy
    if how == "low_resolution":
        return page.resize((page.width // 3, page.height // 3), Image.BILINEAR)
    raise ValueError(how)


def image_pdf(images: list[Image.Image], dpi: int = DPI) -> bytes:
    """An image-only PDF (no text layer), one image a page, as a scanner makes."""
    out = io.BytesIO()
    first, *rest = [image.convert("L") for image in images]
    first.save(out, format="PDF", save_all=True, append_images=rest, resolution=dpi)
    return out.getvalue()


def test_set() -> list[tuple[str, str, str, bytes]]:
    """(letter, degradation, its known text, image PDF) for every letter and degradation."""
    pages = []
    for name, (language, text) in LETTERS.items():
        page = render_page(text, language)
        for how in DEGRADATIONS:
            dpi = DPI // 3 if how == "low_resolution" else DPI
            pages.append((name, how, text, image_pdf([degrade(page, how)], dpi)))
    return pages


class Office:
    """Events of dak and files applied to the fake unit of work, and searches by someone in an office."""

    def __init__(self, uow):
        self.uow = uow

    def apply(self, event_type, at=T0, **data):
        usecases.apply_event(Consumed(event_type, DATA_OF[event_type].model_validate(data), at), self.uow)

    def diarise(self, receipt_id, classification="normal", office="COLL-JHS", by="clerk.jhs", subject="पेंशन प्रकरण",
                letter="", at=T0):
        self.apply("receipt_diarised", at=at, receipt_id=receipt_id, receipt_number=f"{receipt_id}/2026/{office}", office=office,
              classification=classification, subject=subject, diarised_by=by, holder=by,
              scans=[{"position": 1, "key": f"dak/{receipt_id}.pdf", "content_type": "application/pdf"}])
        usecases.record_extraction(usecases.Extracted(self.scan_of(receipt_id), pages=[letter or "कोई पाठ नहीं"]), self.uow)

    def scan_of(self, receipt_id):
        """The id of the receipt's first scan."""
        return next(i for i in self.uow.documents.ids_of("receipt", receipt_id) if self.uow.documents.get(i).source == "scan:1")

    def create_file(self, file_id, classification="normal", office="COLL-JHS", by="so.jhs", subject="भूमि अधिग्रहण", at=T0):
        self.apply("file_created", at=at, file_id=file_id, file_number=f"N-11016/{file_id}/2026", office=office,
              subject=subject, classification=classification, created_by=by)

    def found(self, q, user, office, **filters):
        return usecases.search(SearchCommand(user=user, office=office, q=q, **filters), self.uow)

    def sees(self, q, user, office):
        return self.found(q, user, office)["total"] > 0

    @staticmethod
    def nothing_shown(answer):
        return answer["total"] == 0 and answer["results"] == [] and answer["facets"] == {"type": {}, "classification": {}}
