"""Page layout shared by the forms: an A4 administrative document as Decree 30/2020/NĐ-CP describes it.

Margins: top 20 mm, bottom 20 mm, left 30 mm, right 15 mm. The heading has two columns: the issuing
agency on the left (governing agency above, in capitals; the agency itself in bold capitals; a short rule
below) and the national title on the right ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in bold capitals, the motto
"Độc lập - Tự do - Hạnh phúc" in bold with a rule as long as it). Body text is 13 pt; pages after the first
carry their number at the top centre. Signature blocks are kept whole on one page.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import segno
from fpdf import FPDF, FontFace
from fpdf.enums import Align, TableCellFillMode, VAlign, XPos, YPos

from motcua.core.pdf_fonts import FAMILY, static_font_files
from motcua.dossiers.documents.context import Agency
from motcua.dossiers.documents.formatting import clean

NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"
SIGN_AND_NAME = "(Ký và ghi rõ họ tên)"
SIGN_NAME_AND_SEAL = "(Ký, ghi rõ họ tên và đóng dấu)"

BODY_SIZE = 13.0
HEADING_SIZE = 12.0
TITLE_SIZE = 14.0
LINE_FACTOR = 1.3  # line height as a multiple of the font size (Decree 30 asks single to 1.5 spacing)

MARGIN_TOP = 20.0
MARGIN_BOTTOM = 20.0
MARGIN_LEFT = 30.0
MARGIN_RIGHT = 15.0

Run = tuple[str, str]  # (text, fpdf2 style: "", "B", "I")


@dataclass(frozen=True, slots=True)
class HeadingCell:
    """A table heading cell; ``colspan``/``rowspan`` build two-level headings."""

    text: str
    colspan: int = 1
    rowspan: int = 1


@dataclass(frozen=True, slots=True)
class Signature:
    """A signature block: who signs, the instruction in brackets, and the name printed below."""

    title: str
    name: str = ""
    authority: str = ""
    instruction: str = SIGN_AND_NAME


class OfficialDocument(FPDF):
    """An A4 document with the Vietnamese administrative layout and the Noto Sans faces."""

    def __init__(
        self,
        *,
        title: str,
        author: str,
        subject: str,
        created_at: dt.datetime,
        keywords: str = "",
        landscape: bool = False,
    ) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        for style, path in static_font_files().items():
            self.add_font(FAMILY, style=style, fname=path)
        self.set_margins(MARGIN_LEFT, MARGIN_TOP, MARGIN_RIGHT)
        self.set_auto_page_break(True, margin=MARGIN_BOTTOM)
        self.c_margin = 1.0
        self.set_title(clean(title))
        self.set_author(clean(author))
        self.set_subject(clean(subject))
        if keywords:
            self.set_keywords(clean(keywords))
        self.set_creator("Motcua")
        self.set_lang("vi-VN")
        # The creation date comes from the document's own date, so the same input gives the same bytes.
        self.set_creation_date(created_at.astimezone(dt.UTC))
        self.set_display_mode("fullpage")
        self.set_font(FAMILY, "", BODY_SIZE)
        # Where signatures go, for the signing engine: (page number from 1, x, y, width, height) in mm.
        self.signature_rooms: list[tuple[int, float, float, float, float]] = []
        self.seal_room: tuple[int, float, float, float, float] | None = None
        self.add_page()

    # ----------------------------------------------------------------- page furniture

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_font(FAMILY, "", 11)
            self.set_y(MARGIN_TOP - 10)
            self.cell(0, 5, str(self.page_no()), align=Align.C)
            self.set_y(MARGIN_TOP)
            self.set_font(FAMILY, "", BODY_SIZE)

    @property
    def line_height(self) -> float:
        return self.font_size * LINE_FACTOR

    @property
    def space_left(self) -> float:
        return self.page_break_trigger - self.y

    # ----------------------------------------------------------------- heading

    def heading(self, agency: Agency, *, number: str = "", place_date: str = "") -> float:
        """Agency (left) and national title (right), then the number and the place-and-date line.

        Returns where the agency column ends, so that a form may put something under it (Form 01's QR code).
        """
        top = self.y
        # The right column just holds the national title; the agency gets the rest (Noto Sans runs wide).
        right_width = min(90.0, self.epw / 2) if self.cur_orientation == "P" else self.epw / 2
        left_width = self.epw - right_width
        right_x = self.l_margin + left_width

        self.set_xy(self.l_margin, top)
        if agency.parent_name:
            self.set_font(FAMILY, "", HEADING_SIZE)
            self._centred_lines(clean(agency.parent_name).upper(), left_width)
        self.set_font(FAMILY, "B", HEADING_SIZE)
        agency_name = clean(agency.name).upper()
        self._centred_lines(agency_name, left_width)
        self._rule_below(self.l_margin, left_width, min(self.get_string_width(agency_name), left_width) * 0.4)
        left_bottom = self.y

        self.set_xy(right_x, top)
        size = HEADING_SIZE
        self.set_font(FAMILY, "B", size)
        while self.get_string_width(NATIONAL_TITLE) > right_width - 2 and size > 9:
            size -= 0.5
            self.set_font(FAMILY, "B", size)
        self._centred_lines(NATIONAL_TITLE, right_width, x=right_x)
        self.set_font(FAMILY, "B", size + 1)
        self._centred_lines(NATIONAL_MOTTO, right_width, x=right_x)
        self._rule_below(right_x, right_width, self.get_string_width(NATIONAL_MOTTO))
        right_bottom = self.y

        row = max(left_bottom, right_bottom) + 1.5
        if number:
            self.set_xy(self.l_margin, row)
            self.set_font(FAMILY, "", BODY_SIZE)
            self._centred_lines(f"Số: {clean(number)}", left_width)
        if place_date:
            self.set_xy(right_x, row)
            size = BODY_SIZE
            self.set_font(FAMILY, "I", size)
            while self.get_string_width(clean(place_date)) > right_width - 2 and size > 11:
                size -= 0.5
                self.set_font(FAMILY, "I", size)
            self._centred_lines(clean(place_date), right_width, x=right_x)
        self.set_xy(self.l_margin, max(self.y, row) + (2 if (number or place_date) else 0))
        self.set_font(FAMILY, "", BODY_SIZE)
        return left_bottom

    def _centred_lines(self, text: str, width: float, *, x: float | None = None) -> None:
        self.set_x(self.l_margin if x is None else x)
        self.multi_cell(width, self.font_size * 1.3, text, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)

    def _rule_below(self, x: float, column_width: float, rule_width: float) -> None:
        y = self.y + 0.6
        start = x + (column_width - rule_width) / 2
        self.set_line_width(0.3)
        self.line(start, y, start + rule_width, y)
        self.set_y(y + 1.5)

    # ----------------------------------------------------------------- text

    def title_block(self, title: str, *lines: str, size: float = TITLE_SIZE, underline: bool = False) -> None:
        """The form's name in bold capitals, centred, with optional bold lines below it (and a short rule)."""
        self.ln(3)
        self.set_font(FAMILY, "B", size)
        self.multi_cell(0, size * 0.5, clean(title), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        widest = 0.0
        for line in lines:
            self.set_font(FAMILY, "B", BODY_SIZE)
            widest = max(widest, min(self.get_string_width(clean(line)), self.epw))
            self.multi_cell(0, self.line_height, clean(line), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if underline:
            self.rule(max(widest / 3, 30.0))
        self.ln(2)
        self.set_font(FAMILY, "", BODY_SIZE)

    def paragraph(
        self,
        runs: Sequence[Run] | str,
        *,
        align: str = "J",
        first_line_indent: float = 0,
        bullet: str = "",
        indent: float = 0,
        size: float = BODY_SIZE,
        space_after: float = 0.8,
    ) -> None:
        """A paragraph of runs in different styles that wraps (and breaks pages) as one text."""
        if isinstance(runs, str):
            runs = [(runs, "")]
        self.set_font(FAMILY, "", size)
        with self.text_columns(text_align=align, line_height=LINE_FACTOR, skip_leading_spaces=True) as columns:
            paragraph = columns.paragraph(
                first_line_indent=first_line_indent,
                indent=indent,
                bullet_string=bullet,
                bullet_r_margin=1.5 if bullet else None,
                bottom_margin=space_after,
            )
            for text, style in runs:
                self.set_font(FAMILY, style, size)
                paragraph.write(clean(text))
            columns.end_paragraph()
        self.set_font(FAMILY, "", size)

    def field(self, label: str, value: str, *, number: str = "") -> None:
        """``label: value`` with the value in bold, numbered like the forms' items if ``number`` is given."""
        runs: list[Run] = [(f"{label}: ", "")]
        if value:
            runs.append((value, "B"))
        if number:
            self.paragraph(runs, align="L", bullet=number, indent=7)
        else:
            self.paragraph(runs, align="L")

    # ----------------------------------------------------------------- tables

    def grid(
        self,
        headings: Sequence[Sequence[HeadingCell]],
        rows: Sequence[Sequence[str]],
        *,
        col_widths: Sequence[float],
        align: Sequence[str],
        size: float = 11.0,
    ) -> None:
        """A bordered table whose heading rows are repeated at the top of every page it runs onto.

        ``col_widths`` are in millimetres and are scaled to the text width. A word too long for its cell
        (a dossier code) is broken after a hyphen, slash or dot rather than in the middle of a number.
        """
        self.set_font(FAMILY, "", size)
        scale = self.epw / sum(col_widths)
        inner_widths = [width * scale - 2.2 for width in col_widths]
        heading_style = FontFace(family=FAMILY, emphasis="BOLD", size_pt=size, fill_color=(235, 235, 235))
        with self.table(
            col_widths=tuple(col_widths),
            width=self.epw,
            line_height=size * 0.5,
            padding=(0.8, 1.0),
            num_heading_rows=len(headings),
            first_row_as_headings=bool(headings),
            headings_style=heading_style,
            cell_fill_mode=TableCellFillMode.NONE,
            repeat_headings=1,
            v_align=VAlign.M,
            text_align=tuple(align),
        ) as table:
            for heading in headings:
                heading_row = table.row()
                for cell in heading:
                    heading_row.cell(clean(cell.text), align=Align.C, colspan=cell.colspan, rowspan=cell.rowspan)
            for values in rows:
                row = table.row()
                for value, inner_width in zip(values, inner_widths, strict=True):
                    row.cell(self._breakable(clean(value), inner_width))
        self.set_font(FAMILY, "", BODY_SIZE)
        self.ln(1.5)

    def _breakable(self, text: str, width: float) -> str:
        lines = []
        for line in text.split("\n"):
            words = [self._break_word(word, width) for word in line.split(" ")]
            lines.append(" ".join(words))
        return "\n".join(lines)

    def _break_word(self, word: str, width: float) -> str:
        if self.get_string_width(word) <= width:
            return word
        pieces: list[str] = []
        current = ""
        for char in word:
            current += char
            if char in "-/._" and current:
                pieces.append(current)
                current = ""
        if current:
            pieces.append(current)
        lines: list[str] = []
        line = ""
        for piece in pieces:
            if line and self.get_string_width(line + piece) > width:
                lines.append(line)
                line = piece
            else:
                line += piece
        lines.append(line)
        return "\n".join(lines)

    # ----------------------------------------------------------------- images and signatures

    def qr_code(self, data: str, *, x: float, y: float, size: float) -> None:
        """A QR code (error correction M) as a PNG image, 8 pixels a module plus the quiet zone, sharp at any zoom."""
        buffer = io.BytesIO()
        segno.make(data, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
        buffer.seek(0)
        self.image(buffer, x=x, y=y, w=size, h=size, alt_text=clean(data))

    def signatures(self, blocks: Sequence[Signature], *, left_note: Sequence[Run] | None = None) -> None:
        """Signature blocks side by side (one block sits in the right half), kept together on one page."""
        # title + instruction + room to sign + name (+ the "TM."/"KT." line), in millimetres
        needed = 2 + 6.0 + 5.5 + 20 + 6.0 + (6.0 if any(block.authority for block in blocks) else 0.0)
        if self.space_left < needed:
            self.add_page()
        self.ln(2)
        top = self.y
        half = self.epw / 2
        if len(blocks) == 1:
            columns = [(self.l_margin + half, half)]
        else:
            width = self.epw / len(blocks)
            columns = [(self.l_margin + index * width, width) for index in range(len(blocks))]
        bottoms = []
        for block, (x, width) in zip(blocks, columns, strict=True):
            self.set_xy(x, top)
            if block.authority:
                self.set_font(FAMILY, "B", BODY_SIZE)
                self._centred_lines(clean(block.authority).upper(), width, x=x)
            self.set_font(FAMILY, "B", BODY_SIZE)
            self._centred_lines(clean(block.title).upper(), width, x=x)
            if block.instruction:
                self.set_font(FAMILY, "I", BODY_SIZE - 1)
                self._centred_lines(block.instruction, width, x=x)
            self.signature_rooms.append((self.page_no(), x, self.y, width, 20.0))
            self.set_y(self.y + 20)
            if block.name:
                self.set_font(FAMILY, "B", BODY_SIZE)
                self._centred_lines(clean(block.name), width, x=x)
            bottoms.append(self.y)
        if left_note:
            self.set_xy(self.l_margin, top)
            with self._left_column(half - 4):
                for text, style in left_note:
                    self.set_font(FAMILY, style, 11 if style != "BI" else 12)
                    self.multi_cell(half - 4, 5, clean(text), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            bottoms.append(self.y)
        self.set_xy(self.l_margin, max(bottoms))
        self.set_font(FAMILY, "", BODY_SIZE)

    def verification_strip(self, *, url: str, code: str, seal_width: float = 80.0) -> None:
        """The QR code and short code that lead to the document's verification page, and room for the seal.

        Printed under the signatures; the agency's electronic seal is stamped in the room on the right.
        """
        height = 24.0
        if self.space_left < height + 4:
            self.add_page()
        self.ln(4)
        top = self.y
        self.qr_code(url, x=self.l_margin, y=top, size=20.0)
        text_x = self.l_margin + 23.0
        text_width = self.epw - 23.0 - seal_width - 2.0
        self.set_xy(text_x, top + 1)
        self.set_font(FAMILY, "B", 10)
        self.multi_cell(text_width, 4.5, f"Mã kiểm tra: {clean(code)}", align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_font(FAMILY, "", 9)
        self.multi_cell(
            text_width,
            4.2,
            clean(f"Kiểm tra chữ ký số và bản gốc: quét mã QR hoặc truy cập {url}"),
            align=Align.L,
            new_x=XPos.LEFT,
            new_y=YPos.NEXT,
        )
        self.seal_room = (self.page_no(), self.l_margin + self.epw - seal_width, top, seal_width, 20.0)
        self.set_xy(self.l_margin, max(self.y, top + height))
        self.set_font(FAMILY, "", BODY_SIZE)

    def room_in_points(self, room: tuple[int, float, float, float, float]) -> tuple[int, tuple[int, int, int, int]]:
        """A room in mm from the top left as (page index from 0, (x1, y1, x2, y2) in points from the bottom left)."""
        page, x, y, width, height = room
        points = 72 / 25.4
        bottom = self.h - (y + height)
        return page - 1, (
            round(x * points),
            round(bottom * points),
            round((x + width) * points),
            round((bottom + height) * points),
        )

    @contextmanager
    def _left_column(self, width: float) -> Iterator[None]:
        saved = self.r_margin
        self.set_right_margin(self.w - self.l_margin - width)
        try:
            yield
        finally:
            self.set_right_margin(saved)

    @contextmanager
    def beside(self, reserved_width: float) -> Iterator[None]:
        """Text between the left margin and a reserved strip on the right (for an image placed there)."""
        saved = self.r_margin
        self.set_right_margin(saved + reserved_width)
        try:
            yield
        finally:
            self.set_right_margin(saved)

    def rule(self, width: float) -> None:
        """A short centred rule under a title line (Decree 30: under the summary of a document)."""
        start = self.l_margin + (self.epw - width) / 2
        self.set_line_width(0.3)
        self.line(start, self.y + 0.5, start + width, self.y + 0.5)
        self.set_y(self.y + 3)

    def to_bytes(self) -> bytes:
        return bytes(self.output())
