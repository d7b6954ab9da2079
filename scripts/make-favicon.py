#!/usr/bin/env python3
"""make-favicon.py — draws web/favicon.ico (16, 32 and 48 px PNGs in one ICO), stdlib only.

The icon is the logo of the pages: a small table (blue rounded square, white header row and
grid). Deterministic: the same bytes on every run, so the committed file can be checked
with `scripts/make-favicon.py --check`.
"""
import struct
import sys
import zlib
from pathlib import Path

BLUE = (31, 111, 235)
WHITE = (255, 255, 255)
SS = 4  # supersampling per axis, for smooth edges


def inside_rounded(x, y, x0, y0, x1, y1, r):
    if x < x0 or x > x1 or y < y0 or y > y1:
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def shade(u, v):
    """Colour (r, g, b, a) at unit coordinates u, v in [0, 1)."""
    if not inside_rounded(u, v, 0.03, 0.03, 0.97, 0.97, 0.2):
        return (0, 0, 0, 0)
    # The table: x 0.2..0.8, y 0.22..0.78; header row solid, then two rows and two columns.
    tx0, tx1, ty0, ty1 = 0.2, 0.8, 0.22, 0.78
    line = 0.065
    if tx0 <= u <= tx1 and ty0 <= v <= ty1:
        if v <= ty0 + 0.17:
            return WHITE + (255,)
        edges = [abs(u - tx0), abs(u - tx1), abs(v - ty1), abs(u - 0.5), abs(v - 0.585)]
        if min(edges) <= line / 2:
            return WHITE + (255,)
    return BLUE + (255,)


def render(size):
    rows = []
    for py in range(size):
        row = bytearray([0])  # filter: none
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(SS):
                for sx in range(SS):
                    c = shade((px + (sx + 0.5) / SS) / size, (py + (sy + 0.5) / SS) / size)
                    a = c[3]
                    acc[0] += c[0] * a
                    acc[1] += c[1] * a
                    acc[2] += c[2] * a
                    acc[3] += a
            n = SS * SS
            alpha = acc[3] / n
            if acc[3]:
                rgb = [round(acc[i] / acc[3]) for i in range(3)]
            else:
                rgb = [0, 0, 0]
            row += bytes(rgb + [round(alpha)])
        rows.append(bytes(row))
    return png(size, b"".join(rows))


def png(size, raw):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def ico(images):
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for size, data in images:
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    return out + entries + blobs


def main():
    target = Path(__file__).resolve().parent.parent / "web" / "favicon.ico"
    data = ico([(s, render(s)) for s in (16, 32, 48)])
    if "--check" in sys.argv[1:]:
        if not target.exists() or target.read_bytes() != data:
            sys.exit(f"{target} is not what {Path(__file__).name} draws: run it to update")
        return
    target.write_bytes(data)
    print(f"wrote {target} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
