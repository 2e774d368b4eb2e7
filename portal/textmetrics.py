"""How wide a line of text is, from a real font's metrics, so that chart
labels are laid out from their measured text and never cut.

Widths are the advance widths of DejaVu Sans (regular and bold, bundled in
``portal/fonts``), read with fontTools. The charts name DejaVu Sans first and
then Verdana, which is as wide, then narrower fonts: text measured here fits
whichever of them a reader's device draws it in. Kerning is ignored, which
only ever overstates a width. Nothing here knows about Flask.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont

FONTS = Path(__file__).parent / "fonts"
FILES = {False: FONTS / "DejaVuSans.ttf", True: FONTS / "DejaVuSans-Bold.ttf"}
FONT_FAMILY = "'DejaVu Sans', Verdana, Arial, Helvetica, sans-serif"


@lru_cache(maxsize=2)
def _metrics(bold: bool) -> tuple[dict[int, float], float]:
    """Advance width of each character, in ems, and the widest (for any
    character the font lacks)."""
    font = TTFont(FILES[bold], lazy=True)
    units = font["head"].unitsPerEm
    advances = font["hmtx"].metrics
    widths = {code: advances[glyph][0] / units for code, glyph in font.getBestCmap().items()}
    font.close()
    return widths, max(widths.values())


def width(text: str, size: float, bold: bool = False) -> float:
    """The width of ``text`` set at ``size`` pixels."""
    widths, widest = _metrics(bold)
    return size * sum(widths.get(ord(char), widest) for char in text)


def wrap(text: str, limit: float, size: float, bold: bool = False) -> list[str]:
    """``text`` in lines no wider than ``limit``: broken between words, and
    inside a word (with a hyphen) only when the word alone is wider."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if width(candidate, size, bold) <= limit:
            line = candidate
            continue
        if line:
            lines.append(line)
        while width(word, size, bold) > limit:
            cut = len(word) - 1
            while cut > 1 and width(word[:cut] + "-", size, bold) > limit:
                cut -= 1
            lines.append(word[:cut] + "-")
            word = word[cut:]
        line = word
    if line or not lines:
        lines.append(line)
    return lines
