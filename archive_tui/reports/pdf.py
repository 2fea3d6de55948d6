"""A4 pages with the embedded Chinese font: the small toolkit every printed form uses."""

from __future__ import annotations

from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from archive_tui.privacy import private_file
from archive_tui.reports.fonts import PrintFont

PAGE_WIDTH, PAGE_HEIGHT = A4


class Sheet:
    """A PDF being written, page by page, with the chosen font embedded."""

    def __init__(self, path: Path, font: PrintFont, title: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.font = font
        self.canvas = Canvas(str(path), pagesize=A4, invariant=True)  # same input → same bytes
        self.canvas.setTitle(title)
        self.canvas.setCreator("archive-tui")

    def text(self, x: float, y: float, text: str, size: float = 12, centre: bool = False) -> None:
        self.canvas.setFont(self.font.name, size)
        if centre:
            self.canvas.drawCentredString(x, y, text)
        else:
            self.canvas.drawString(x, y, text)

    def fitted_text(self, x: float, y: float, text: str, width: float, size: float, centre: bool = False) -> None:
        """Text shrunk (down to 60%) to fit ``width``."""
        from reportlab.pdfbase.pdfmetrics import stringWidth

        while size > 6 and stringWidth(text, self.font.name, size) > width:
            size -= 0.5
        self.text(x, y, text, size, centre)

    def qr(self, x: float, y: float, payload: str, side: float) -> None:
        """A QR code with a quiet zone, lower-left corner at (x, y)."""
        widget = QrCodeWidget(payload, barLevel="M")
        left, bottom, right, top = widget.getBounds()
        drawing = Drawing(side, side, transform=[side / (right - left), 0, 0, side / (top - bottom), 0, 0])
        drawing.add(widget)
        renderPDF.draw(drawing, self.canvas, x, y)

    def box(self, x: float, y: float, width: float, height: float) -> None:
        self.canvas.rect(x, y, width, height)

    def next_page(self) -> None:
        self.canvas.showPage()

    def save(self) -> None:
        self.canvas.save()
        private_file(self.path)


__all__ = ["PAGE_HEIGHT", "PAGE_WIDTH", "Sheet", "mm"]


def draw_grid(sheet: Sheet, heading: list[tuple[str, float]], columns: list[tuple[str, float]],
              rows: list[list[str]], *, row_height: float = 8 * mm, size: float = 9, footer: str = "") -> int:
    """A table over as many A4 pages as it needs, the heading lines and column titles repeated
    on each page and ``page i/n`` at the foot; column widths in points. Returns the pages."""
    top, bottom, left = PAGE_HEIGHT - 20 * mm, 20 * mm, 15 * mm
    heading_height = sum(line_size * 1.6 for _text, line_size in heading) + 4 * mm
    per_page = max(1, int((top - heading_height - bottom - row_height) // row_height))
    chunks = [rows[start:start + per_page] for start in range(0, len(rows), per_page)] or [[]]
    for number, chunk in enumerate(chunks, start=1):
        y = top
        for text, line_size in heading:
            sheet.fitted_text(PAGE_WIDTH / 2, y - line_size, text, PAGE_WIDTH - 2 * left, line_size, centre=True)
            y -= line_size * 1.6
        y -= 4 * mm
        for cells in [[title for title, _w in columns], *chunk]:
            x = left
            for text, (_title, column_width) in zip(cells, columns):
                sheet.box(x, y - row_height, column_width, row_height)
                sheet.fitted_text(x + 1.5 * mm, y - row_height + 2.6 * mm, str(text), column_width - 3 * mm, size)
                x += column_width
            y -= row_height
        sheet.text(PAGE_WIDTH / 2, 12 * mm, f"{footer}  第 {number} 页 / 共 {len(chunks)} 页".strip(), 8, centre=True)
        sheet.next_page()
    return len(chunks)
