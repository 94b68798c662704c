"""Draw the PWA's icons (run once: python -m walkapp.field.icons); the PNGs are committed.

A white map pin on the app's blue. The maskable variant keeps the pin inside the central
80 % "safe zone" and fills the whole square, as Android crops it to a circle or squircle.
"""

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (11, 79, 138)
WHITE = (255, 255, 255)
OUT = Path(__file__).resolve().parents[2] / "static" / "icons"
SCALE = 4  # draw large, then downsample: smooth edges without antialiasing support in Draw


def _pin(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    """A pin whose round head (radius r) is centred at (cx, cy), tip pointing down."""
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=WHITE)
    draw.polygon([(cx - r * 0.78, cy + r * 0.62), (cx + r * 0.78, cy + r * 0.62),
                  (cx, cy + r * 2.1)], fill=WHITE)
    hole = r * 0.42
    draw.ellipse([cx - hole, cy - hole, cx + hole, cy + hole], fill=BLUE)


def draw_icon(size: int, maskable: bool) -> Image.Image:
    big = size * SCALE
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    if maskable:
        draw.rectangle([0, 0, big, big], fill=BLUE)
        head = big * 0.17
    else:
        draw.rounded_rectangle([0, 0, big - 1, big - 1], radius=big * 0.18, fill=BLUE)
        head = big * 0.22
    _pin(draw, big / 2, big * 0.42, head)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in [("icon-192.png", 192, False), ("icon-512.png", 512, False),
                                 ("icon-maskable-512.png", 512, True)]:
        img = draw_icon(size, maskable)
        img = img.quantize(colors=64, method=Image.Quantize.FASTOCTREE)  # small PNG, same look
        img.save(OUT / name, optimize=True)
        print(OUT / name, (OUT / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
