"""A green note or an approved draft as a PDF: A4, Noto Sans with Noto Sans Devanagari for Hindi,
shaped by HarfBuzz (conjuncts and matras as a reader expects them), with an empty signature field
for each signer in the signing order.

The rendering's Info keywords carry the document and its content hash (`eoffice-note:<id>
sha256:<hex>`), so a verifier can tell which content a signed PDF claims to be."""
import io
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields

# fontTools reports each table it prunes while subsetting at INFO: some 25 lines a rendering.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fonts")
FONTS = {
    ("notosans", ""): "NotoSans-Regular.ttf",
    ("notosans", "B"): "NotoSans-Bold.ttf",
    ("notodeva", ""): "NotoSansDevanagari-Regular.ttf",
    ("notodeva", "B"): "NotoSansDevanagari-Bold.ttf",
}
MM = 72 / 25.4
PAGE_HEIGHT_MM = 297
BOX_WIDTH, BOX_HEIGHT, LABEL_HEIGHT = 80, 24, 14
# An approved draft is rendered as the letter it will be issued as, under the issue number reserved at
# its approval (docs/decisions/0003): the signature covers the number.
TITLES = {"note": "टिप्पणी / Note", "draft": "पत्र / Letter"}
CLASSIFICATIONS = {"confidential": "गोपनीय / Confidential", "secret": "गुप्त / Secret", "top_secret": "परम गुप्त / Top Secret"}


@dataclass(frozen=True)
class SignerLine:
    position: int
    user_id: str
    name_en: str
    name_hi: str
    designation_en: str
    designation_hi: str


@dataclass(frozen=True)
class Content:
    kind: str
    document_id: str
    file_number: str
    subject: str | None
    text: str
    content_sha256: str
    office_en: str
    office_hi: str
    classification: str = "normal"
    confirmed_at: str | None = None
    version: int | None = None
    first_paragraph: int | None = None  # a note's: its paragraphs are numbered on from it
    issue_number: str | None = None  # a letter's (an approved draft's)


def field_name(position):
    return f"Signature{position}"


def render(content, signers, created_at=None):
    """The PDF of `content` with a signature field per signer; returns its bytes."""
    pdf = FPDF(format="A4", unit="mm")
    for (family, style), filename in FONTS.items():
        pdf.add_font(family, style, os.path.join(FONTS_DIR, filename))
    pdf.set_fallback_fonts(["notodeva"], exact_match=False)
    pdf.set_text_shaping(True)
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_lang("hi")
    pdf.set_title(f"{TITLES[content.kind]} {content.file_number}")
    pdf.set_subject(content.subject or "")
    pdf.set_keywords(f"eoffice-{content.kind}:{content.document_id} sha256:{content.content_sha256}")
    pdf.set_creator("eoffice signing")
    if created_at is not None:
        pdf.set_creation_date(created_at)
    pdf.add_page()
    _heading(pdf, content)
    _body(pdf, content)
    boxes = _signature_blocks(pdf, signers)
    return _with_signature_fields(bytes(pdf.output()), pdf, boxes)


def _font(pdf, style, size):
    """fpdf2 2.8 loses track of the font in force after a line it wraps in q/Q (one ending in the
    Devanagari fallback font), and the next line can come out in the wrong font. Setting the size
    twice makes it state the font again, outside any q/Q, before each block of text."""
    pdf.set_font("notosans", style, size + 1)
    pdf.set_font("notosans", style, size)


def _heading(pdf, content):
    _font(pdf, "B", 13)
    pdf.multi_cell(0, 7, content.office_hi, align="C", new_x="LMARGIN", new_y="NEXT")
    _font(pdf, "", 11)
    pdf.multi_cell(0, 6, content.office_en, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _font(pdf, "", 10)
    if content.issue_number:
        _font(pdf, "B", 10)
        pdf.multi_cell(0, 6, f"पत्रांक / Letter No.: {content.issue_number}", new_x="LMARGIN", new_y="NEXT")
        _font(pdf, "", 10)
    pdf.multi_cell(0, 6, f"फ़ाइल संख्या / File No.: {content.file_number}", new_x="LMARGIN", new_y="NEXT")
    if content.classification in CLASSIFICATIONS:
        pdf.multi_cell(0, 6, CLASSIFICATIONS[content.classification], new_x="LMARGIN", new_y="NEXT")
    title = TITLES[content.kind]
    _font(pdf, "B", 12)
    pdf.ln(2)
    pdf.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
    if content.subject:
        _font(pdf, "", 11)
        pdf.multi_cell(0, 6, f"विषय / Subject: {content.subject}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _body(pdf, content):
    for number, paragraph in numbered_paragraphs(content):
        if paragraph.strip():
            _font(pdf, "", 11)
            pdf.multi_cell(0, 6.5, f"{number}. {paragraph}" if number else paragraph, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    _font(pdf, "", 7)
    pdf.set_text_color(90)
    stamp = f"Content SHA-256: {content.content_sha256}"
    if content.confirmed_at:
        stamp += f"   Confirmed: {content.confirmed_at}"
    pdf.multi_cell(0, 4, stamp, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.ln(6)


def numbered_paragraphs(content):
    """[(number or None, paragraph)]: a note's paragraphs (separated by a blank line) numbered as in its
    file, from its first paragraph; a letter's lines as written (a blank one a gap)."""
    text = content.text.replace("\r\n", "\n")
    if content.kind == "note" and content.first_paragraph:
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        return [(content.first_paragraph + i, p) for i, p in enumerate(paragraphs)]
    return [(None, line) for line in text.split("\n")]


def _signature_blocks(pdf, signers):
    """Two signature blocks a row: an empty box for the signature and the signer's name below.
    Returns (page index, x, y, width, height) in mm of each signer's box, in signing order."""
    boxes = []
    row_height = BOX_HEIGHT + LABEL_HEIGHT + 4
    for index, signer in enumerate(signers):
        column = index % 2
        if column == 0 and pdf.get_y() + row_height > PAGE_HEIGHT_MM - pdf.b_margin:
            pdf.add_page()
        if column == 0:
            top = pdf.get_y()
        x = pdf.l_margin + column * (pdf.epw - BOX_WIDTH)
        pdf.set_draw_color(170)
        pdf.rect(x, top, BOX_WIDTH, BOX_HEIGHT)
        boxes.append((pdf.page - 1, x, top, BOX_WIDTH, BOX_HEIGHT))
        pdf.set_xy(x, top + BOX_HEIGHT + 1)
        _font(pdf, "B", 9)
        pdf.multi_cell(BOX_WIDTH, 4.5, f"{signer.name_hi} ({signer.name_en})", new_x="LEFT", new_y="NEXT")
        _font(pdf, "", 8.5)
        pdf.multi_cell(BOX_WIDTH, 4.5, f"{signer.designation_hi} / {signer.designation_en}", new_x="LEFT", new_y="NEXT")
        if column == 1 or index == len(signers) - 1:
            pdf.set_xy(pdf.l_margin, top + row_height)
    return boxes


def _with_signature_fields(rendered, pdf, boxes):
    """Add the empty signature fields, and complete the ToUnicode maps, in one incremental update.

    fpdf2 gives a multi-glyph cluster's text (e.g. टि, drawn as ि then ट) to its first glyph and
    leaves the others out of the font's ToUnicode map; text extraction then shows stray codes for
    them. Mapping those glyphs to nothing makes copied and extracted Hindi read as written."""
    writer = IncrementalPdfFileWriter(io.BytesIO(rendered))
    unmapped = {
        font.name: sorted(code for glyph, code in font.subset.items() if glyph is not None and not glyph.unicode)
        for font in pdf.fonts.values()
        if hasattr(font, "subset")
    }
    _complete_to_unicode(writer, {name: codes for name, codes in unmapped.items() if codes})
    for position, (page, x, y, width, height) in enumerate(boxes, start=1):
        box = (x * MM, (PAGE_HEIGHT_MM - y - height) * MM, (x + width) * MM, (PAGE_HEIGHT_MM - y) * MM)
        fields.append_signature_field(writer, fields.SigFieldSpec(field_name(position), box=box, on_page=page))
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _complete_to_unicode(writer, unmapped):
    if not unmapped:
        return
    done = set()
    for page_index in range(int(writer.root["/Pages"]["/Count"])):
        _page, resources = writer.find_page_for_modification(page_index)
        font_resources = resources.get_object()["/Font"]
        for key in list(font_resources.keys()):
            font = font_resources[key]
            name = str(font.get("/BaseFont", "")).split("+", 1)[-1]
            if name not in unmapped or "/ToUnicode" not in font or id(font) in done:
                continue
            done.add(id(font))
            cmap = font["/ToUnicode"].get_object().data.decode("latin-1")
            codes = unmapped[name]
            extra = f"{len(codes)} beginbfchar\n" + "".join(f"<{code:04X}> <>\n" for code in codes) + "endbfchar\n"
            font["/ToUnicode"] = writer.add_object(generic.StreamObject(stream_data=cmap.replace("endcmap", extra + "endcmap", 1).encode("latin-1")))
            writer.update_container(font)


def preview_created_at(confirmed_at):
    """The rendering's creation date: when the note was confirmed, if files said."""
    try:
        return datetime.fromisoformat(confirmed_at) if confirmed_at else None
    except ValueError:
        return None

