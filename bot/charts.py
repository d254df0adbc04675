"""Charts as PNG (Pillow): weekly lines for /stats. Text in the image is digits only (the
bundled font has no Cyrillic); the legend goes in the message."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import datetime

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 800, 400
MARGIN = 50
COLORS = ((33, 102, 172), (230, 120, 30))


def weekly_chart(weeks: Sequence[datetime], series: Sequence[Sequence[int]]) -> bytes:
    """Lines over the weeks (one per series, in COLORS order), with values on the points."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=14)
    highest = max((max(values, default=0) for values in series), default=0)
    top = max(1, math.ceil(highest / 4)) * 4  # four whole-number steps
    left, right, upper, lower = MARGIN, WIDTH - MARGIN // 2, MARGIN // 2, HEIGHT - MARGIN
    draw.line([(left, lower), (right, lower)], fill="black", width=2)
    draw.line([(left, upper), (left, lower)], fill="black", width=2)
    for step in range(5):
        value = top * step / 4
        y = lower - (lower - upper) * step / 4
        draw.line([(left, y), (right, y)], fill=(225, 225, 225))
        draw.text((5, y - 8), f"{value:.0f}", fill="black", font=font)
    count = max(len(weeks), 1)
    xs = [left + (right - left) * (n + 0.5) / count for n in range(count)]
    for x, week in zip(xs, weeks, strict=False):
        draw.text((x - 18, lower + 10), week.strftime("%d.%m"), fill="black", font=font)
    for color, values in zip(COLORS, series, strict=False):
        points = [(x, lower - (lower - upper) * v / top) for x, v in zip(xs, values, strict=False)]
        if len(points) > 1:
            draw.line(points, fill=color, width=3)
        for (x, y), value in zip(points, values, strict=False):
            draw.ellipse([(x - 4, y - 4), (x + 4, y + 4)], fill=color)
            draw.text((x + 6, y - 18), str(value), fill=color, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


MEDALS = ((212, 175, 55), (170, 170, 180), (176, 115, 60))


def leaderboard_png(title: str, subtitle: str, rows: Sequence[tuple[int, str, str]]) -> bytes:
    """A leaderboard for the partners' group: title, period, then place · name · value.
    Roboto (shipped in the font-roboto package) has Cyrillic; no network fonts."""
    import font_roboto

    width, row_height, head = 900, 56, 130
    height = head + row_height * max(len(rows), 1) + 30
    image = Image.new("RGB", (width, height), (250, 247, 240))
    draw = ImageDraw.Draw(image)
    bold = ImageFont.truetype(font_roboto.RobotoBold, 40)
    regular = ImageFont.truetype(font_roboto.Roboto, 26)
    row_font = ImageFont.truetype(font_roboto.RobotoMedium, 30)
    draw.text((40, 30), title[:40], fill=(40, 40, 40), font=bold)
    draw.text((40, 85), subtitle[:60], fill=(110, 110, 110), font=regular)
    for index, (place, name, value) in enumerate(rows):
        y = head + index * row_height
        if index % 2 == 0:
            draw.rectangle([(20, y), (width - 20, y + row_height - 6)], fill=(240, 235, 225))
        color = MEDALS[place - 1] if place <= len(MEDALS) else (120, 120, 120)
        draw.ellipse([(36, y + 6), (76, y + 46)], fill=color)
        draw.text((56, y + 26), str(place), fill="white", font=row_font, anchor="mm")
        draw.text((100, y + 10), name[:32], fill=(30, 30, 30), font=row_font)
        draw.text((width - 40, y + 10), value, fill=(30, 30, 30), font=row_font, anchor="ra")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
