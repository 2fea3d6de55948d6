"""A scanned page drawn in the terminal with half blocks (▀): two pixels per cell."""

from __future__ import annotations

from PIL import Image
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget


def half_block_rows(image: Image.Image) -> list[Strip]:
    """One strip per two pixel rows: the upper pixel is the foreground, the lower the background."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    pixels = rgb.load()
    strips = []
    for top in range(0, height - 1, 2):
        segments = [Segment("▀", Style(color=f"rgb{pixels[x, top]}", bgcolor=f"rgb{pixels[x, top + 1]}"))
                    for x in range(width)]
        strips.append(Strip(Segment.simplify(segments), width))
    return strips


class ScanPreview(Widget):
    """Shows ``message`` until a picture is given; keeps the picture's aspect within its size."""

    DEFAULT_CSS = "ScanPreview { width: 1fr; height: 1fr; }"

    def __init__(self, message: str = "", **kwargs):
        super().__init__(**kwargs)
        self.message = message
        self.strips: list[Strip] = []

    def pixel_size(self) -> tuple[int, int]:
        """The largest picture that fits: columns × (rows × 2)."""
        return max(1, self.size.width), max(2, self.size.height * 2)

    def show(self, image: Image.Image | None, message: str = "") -> None:
        self.strips = half_block_rows(image) if image is not None else []
        self.message = message
        self.refresh()

    def render_line(self, y: int) -> Strip:
        if self.strips:
            return self.strips[y] if y < len(self.strips) else Strip.blank(self.size.width)
        if y == 0:
            return Strip([Segment(self.message)])
        return Strip.blank(self.size.width)
