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
    """Shows ``message`` until a picture is given; keeps the picture's aspect within its size.

    The picture is loaded at a fixed size and fitted to the widget when drawn, so what shows
    never depends on whether the layout had settled when the loading began."""

    DEFAULT_CSS = "ScanPreview { width: 1fr; height: 1fr; }"
    LOAD_SIZE = (320, 480)  # pixels asked of the loader: more than a terminal pane shows

    def __init__(self, message: str = "", **kwargs):
        super().__init__(**kwargs)
        self.message = message
        self.picture: Image.Image | None = None
        self.strips: list[Strip] = []
        self._fitted_to: tuple[int, int] | None = None

    def pixel_size(self) -> tuple[int, int]:
        """What to load: a fixed size, fitted to the widget when drawn."""
        return self.LOAD_SIZE

    def show(self, image: Image.Image | None, message: str = "") -> None:
        self.picture, self.message, self._fitted_to = image, message, None
        self._fit()
        self.refresh()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """Strips for the widget's size now: columns × (rows × 2) pixels at most."""
        size = (max(1, self.size.width), max(2, self.size.height * 2))
        if self.picture is None:
            self.strips, self._fitted_to = [], None
            return
        if size == self._fitted_to and self.strips:
            return
        fitted = self.picture.copy()
        fitted.thumbnail(size, Image.Resampling.LANCZOS)
        self.strips, self._fitted_to = half_block_rows(fitted), size

    def render_line(self, y: int) -> Strip:
        if self.picture is not None and self._fitted_to != (max(1, self.size.width), max(2, self.size.height * 2)):
            self._fit()
        if self.strips:
            return self.strips[y] if y < len(self.strips) else Strip.blank(self.size.width)
        if y == 0:
            return Strip([Segment(self.message)])
        return Strip.blank(self.size.width)
