"""A4 pages set in the font chain: the small toolkit every printed form uses.

Every page carries "第 N 页 共 M 页" (counted per section: one household's 卷内目录, one list
with its 交接文据), and a 草稿 mark when the sheet is printed from a draft. Nothing is drawn
outside the margins; tables live in ``reports/grid.py``.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from archive_tui.core.privacy import private_file
from archive_tui.reports.fonts import PrintFont
from archive_tui.reports.wrapping import wrap_lines

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT = 20 * mm  # the binding side (装订边)
RIGHT = PAGE_WIDTH - 15 * mm
TOP = PAGE_HEIGHT - 15 * mm
BOTTOM = 15 * mm
MIDDLE = (LEFT + RIGHT) / 2
BODY_BOTTOM = 24 * mm  # above the page number
SMALLEST = 8  # points: text is wrapped, never shrunk below this
DRAFT_MARK = "草 稿"


class Sheet:
    """A PDF being written, page by page, with the font chain embedded."""

    def __init__(self, path: Path, font: PrintFont, title: str, *, draft: bool | str = False):
        """``draft``: True stamps every page 草稿; a text (送审稿（供审批）) stamps that instead."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.font = font
        self.draft = draft
        # same input → same bytes; the canvas starts in the chain's first face, not reportlab's
        # Helvetica, so no PDF names a font it does not embed
        self.canvas = Canvas(str(path), pagesize=A4, invariant=True, initialFontName=font.name)
        self.canvas.setTitle(title)
        self.canvas.setCreator("archive-tui")
        self.section_pages = 0
        self.section_page = 0
        self.pages = 0
        self.unprinted: dict[str, str] = {}  # a character no face has (printed □) → a text it was in

    # ---- text -------------------------------------------------------------------------------

    def width(self, text: str, size: float) -> float:
        return self.font.width(text, size)

    def text(self, x: float, y: float, text: str, size: float = 12, centre: bool = False,
             right: bool = False) -> None:
        """One line at baseline ``y``, each character in the first face that has it."""
        if centre or right:
            x -= self.width(text, size) / (2 if centre else 1)
        for char in self.font.missing(text):
            self.unprinted.setdefault(char, text)
        for name, piece in self.font.runs(text):
            self.canvas.setFont(name, size)
            self.canvas.drawString(x, y, piece)
            x += self.canvas.stringWidth(piece, name, size)

    def wrap(self, text: str, width: float, size: float) -> list[str]:
        return wrap_lines(self.font, text, width, size)

    def paragraph(self, x: float, y: float, text: str, width: float, size: float, centre: bool = False,
                  leading: float = 1.3) -> float:
        """``text`` wrapped into ``width`` from baseline ``y`` down; returns the y below it."""
        for line in self.wrap(text, width, size):
            self.text(x + (width / 2 if centre else 0), y, line, size, centre=centre)
            y -= size * leading
        return y

    def fitted_text(self, x: float, y: float, text: str, width: float, size: float, centre: bool = False) -> None:
        """One line shrunk to fit ``width`` but never below 8 pt (for short values: codes, names);
        what still does not fit is wrapped onto the lines below."""
        while size > SMALLEST and self.width(text, size) > width:
            size -= 0.5
        if self.width(text, size) <= width:
            self.text(x, y, text, size, centre)
        else:
            self.paragraph(x - (width / 2 if centre else 0), y, text, width, size, centre=centre)

    # ---- drawing ----------------------------------------------------------------------------

    def qr(self, x: float, y: float, payload: str, side: float) -> None:
        """A QR code with a quiet zone, lower-left corner at (x, y)."""
        widget = QrCodeWidget(payload, barLevel="M")
        left, bottom, right, top = widget.getBounds()
        drawing = Drawing(side, side, transform=[side / (right - left), 0, 0, side / (top - bottom), 0, 0],
                          initialFontName=self.font.name)  # not reportlab's Helvetica, which is never embedded
        drawing.add(widget)
        renderPDF.draw(drawing, self.canvas, x, y)

    def box(self, x: float, y: float, width: float, height: float) -> None:
        self.canvas.rect(x, y, width, height)

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.canvas.line(x1, y1, x2, y2)

    # ---- pages ------------------------------------------------------------------------------

    def begin_section(self, pages: int) -> None:
        """The next ``pages`` pages are numbered 第 1 … pages 页 共 pages 页."""
        self.section_pages, self.section_page = max(1, pages), 0

    def next_page(self, footer: str = "") -> None:
        """Stamp the page (number, optional footer, draft mark) and start the next."""
        self.section_page += 1
        number = f"第 {self.section_page} 页 共 {max(self.section_pages, self.section_page)} 页"
        stamp = f"{self._draft_note()}{footer}  {number}".strip()
        self.text(MIDDLE, BOTTOM + 2 * mm, stamp, 9, centre=True)
        if self.draft:
            self._draft_mark()
        self.canvas.showPage()
        self.pages += 1

    def _draft_note(self) -> str:
        """What the foot of a draft page says: 草稿, or the stage given (送审稿 for approval)."""
        if not self.draft:
            return ""
        return "草稿（不作正式文书）  " if self.draft is True else f"{self.draft}  "

    def _draft_mark(self) -> None:
        canvas = self.canvas
        canvas.saveState()
        canvas.setFillGray(0.55)
        canvas.setFillAlpha(0.25)
        canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
        canvas.rotate(35)
        mark = DRAFT_MARK if self.draft is True else " ".join(str(self.draft).split("（")[0])
        self.text(0, -30, mark, 90 if len(mark) <= 3 else 70, centre=True)
        canvas.restoreState()

    def save(self) -> None:
        self.canvas.save()
        private_file(self.path)
        _UNPRINTED[_key(self.path)] = self.unprinted


_UNPRINTED: dict[str, dict[str, str]] = {}
"""Per PDF written in this process: the characters it printed as □ (read once by unprinted_in)."""


def _key(path: Path) -> str:
    return str(Path(path).resolve())


def unprinted_in(path: Path) -> dict[str, str]:
    """The characters the PDF just written at ``path`` printed as □ (no face has them), each with
    a text it stood in — so that whatever made the form can say so, whichever form it is."""
    return _UNPRINTED.pop(_key(path), {})


__all__ = ["BODY_BOTTOM", "BOTTOM", "LEFT", "MIDDLE", "PAGE_HEIGHT", "PAGE_WIDTH", "RIGHT", "SMALLEST", "TOP", "Sheet",
           "mm", "unprinted_in"]
