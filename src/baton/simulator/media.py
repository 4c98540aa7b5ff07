"""Small real media files for simulated customers, generated in code (no files, no Pillow).

Baton downloads, stores and shows what customers send, so these must be valid files that
a browser renders, not placeholder bytes.
"""

from __future__ import annotations

import struct
import zlib

RGB = tuple[int, int, int]

GREEN: RGB = (37, 160, 110)
WHITE: RGB = (255, 255, 255)


def png(width: int = 64, height: int = 48, rgb: RGB = GREEN) -> bytes:
    """A valid PNG: a solid colour with a white diagonal stripe."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type "none" for this scanline
        for x in range(width):
            rows += bytes(WHITE if abs(x - y) < 3 else rgb)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows)))
        + chunk(b"IEND", b"")
    )


class _BitWriter:
    """Entropy-coded segment writer with JPEG's 0xFF byte stuffing."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.acc = 0
        self.nbits = 0

    def write(self, value: int, length: int) -> None:
        for shift in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> shift) & 1)
            self.nbits += 1
            if self.nbits == 8:
                self._emit(self.acc)
                self.acc = 0
                self.nbits = 0

    def _emit(self, byte: int) -> None:
        self.out.append(byte)
        if byte == 0xFF:
            self.out.append(0x00)

    def finish(self) -> bytes:
        if self.nbits:
            # Padding with one-bits is what the standard asks for.
            self.write((1 << (8 - self.nbits)) - 1, 8 - self.nbits)
        return bytes(self.out)


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", marker, len(payload) + 2) + payload


def _ycbcr(rgb: RGB) -> tuple[float, float, float]:
    r, g, b = rgb
    return (
        0.299 * r + 0.587 * g + 0.114 * b,
        128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
        128 + 0.5 * r - 0.418688 * g - 0.081312 * b,
    )


def jpeg(width: int = 64, height: int = 48, colours: tuple[RGB, RGB] = (GREEN, WHITE)) -> bytes:
    """A valid baseline JPEG made of flat 8x8 blocks in diagonal stripes.

    Flat blocks have only a DC coefficient, so the encoder needs no DCT: with a quantisation
    table of ones the DC value of a flat block is 8 x (level - 128), every AC run is a
    single end-of-block, and two tiny Huffman tables (DC categories 0-11 on 4 bits, EOB on
    1 bit) cover everything.
    """
    width -= width % 8
    height -= height % 8
    dqt = _segment(0xFFDB, b"\x00" + b"\x01" * 64)
    sof = _segment(
        0xFFC0,
        struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00",
    )
    dc_bits = bytes([0, 0, 0, 12] + [0] * 12)
    ac_bits = bytes([1] + [0] * 15)
    dht = _segment(0xFFC4, b"\x00" + dc_bits + bytes(range(12)) + b"\x10" + ac_bits + b"\x00")
    sos = _segment(0xFFDA, b"\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00")
    app0 = _segment(0xFFE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")

    levels = [[round(8 * (c - 128)) for c in _ycbcr(rgb)] for rgb in colours]
    bits = _BitWriter()
    previous = [0, 0, 0]
    for block_y in range(height // 8):
        for block_x in range(width // 8):
            dcs = levels[((block_x + block_y) // 2) % 2]
            for component in range(3):
                diff = dcs[component] - previous[component]
                previous[component] = dcs[component]
                category = abs(diff).bit_length()
                bits.write(category, 4)
                if category:
                    bits.write(diff if diff > 0 else diff + (1 << category) - 1, category)
                bits.write(0, 1)  # end of block: every AC coefficient is zero
    return b"\xff\xd8" + app0 + dqt + sof + dht + sos + bits.finish() + b"\xff\xd9"


def pdf(text: str = "Invoice 1042 - simulated customer document") -> bytes:
    """A valid one-page PDF showing ``text`` (ASCII) in Helvetica."""
    safe = text.encode("ascii", "replace").decode("ascii")
    safe = safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 24 72 Td ({safe}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 144] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)
