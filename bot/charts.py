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
