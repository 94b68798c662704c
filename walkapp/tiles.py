"""Map tiles walkapp serves itself: from an MBTiles file, or drawn for demos and tests. No Flask.

The OpenStreetMap Foundation's tile servers forbid bulk/offline downloading, so the offline
area download must come from a source whose terms allow it: a municipality's own MBTiles
file (WALKAPP_MBTILES) or a provider that permits caching (WALKAPP_TILE_URL).
"""

import io
import sqlite3
import threading
from functools import lru_cache

from PIL import Image, ImageDraw

_local = threading.local()


def mbtiles_tile(path: str, z: int, x: int, y: int) -> tuple[bytes, str] | None:
    """(bytes, mimetype) of one tile from an MBTiles file, or None if it has no such tile."""
    conns = _local.__dict__.setdefault("conns", {})
    conn = conns.get(path)
    if conn is None:
        conn = conns[path] = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    tms_y = (1 << z) - 1 - y  # MBTiles rows count from the south (TMS)
    row = conn.execute(
        "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
        (z, x, tms_y)).fetchone()
    if row is None:
        return None
    data = bytes(row[0])
    mime = "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
    if data[:4] == b"RIFF":
        mime = "image/webp"
    return data, mime


@lru_cache(maxsize=2048)
def demo_tile(z: int, x: int, y: int) -> bytes:
    """A plain, clearly-synthetic tile (grid and coordinates) so demos and tests need no network."""
    img = Image.new("RGB", (256, 256), (236, 240, 228) if (x + y) % 2 else (230, 236, 222))
    draw = ImageDraw.Draw(img)
    for i in range(0, 256, 64):
        draw.line([(i, 0), (i, 255)], fill=(214, 220, 206))
        draw.line([(0, i), (255, i)], fill=(214, 220, 206))
    draw.rectangle([0, 0, 255, 255], outline=(190, 198, 182))
    draw.text((8, 8), f"{z}/{x}/{y}", fill=(120, 128, 112))
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


def valid_tile(z: int, x: int, y: int) -> bool:
    return 0 <= z <= 22 and 0 <= x < (1 << z) and 0 <= y < (1 << z)
