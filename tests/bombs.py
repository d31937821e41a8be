"""Small files that expand to huge ones: zip members and PDF streams, made in milliseconds.

A deflate block written after a full flush refers to nothing before it, so one compressed block
of a chunk, repeated, decompresses to the chunk repeated: a gigabyte costs a millisecond to make
and a megabyte to store.
"""

from __future__ import annotations

import struct
import zlib

CHUNK = 1 << 24  # 16 MiB


def raw_deflate(times: int, chunk: bytes = b" " * CHUNK) -> bytes:
    """Raw deflate data of ``chunk`` repeated ``times`` times."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    return block * times + b"\x03\x00"  # a final, empty, fixed-Huffman block


def flate(times: int, chunk: bytes = b" " * CHUNK) -> bytes:
    """Data for a PDF /FlateDecode stream (zlib format) of ``chunk`` repeated ``times`` times."""
    adler = 1
    for _ in range(times):
        adler = zlib.adler32(chunk, adler)
    return b"\x78\xda" + raw_deflate(times, chunk) + struct.pack(">I", adler)


def zip_file(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of raw-deflated members given as (name, compressed data, declared size, crc)."""
    out = bytearray()
    central = bytearray()
    for name, data, size, crc in members:
        offset = len(out)
        fields = (20, 0, 8, 0, 0x21, crc, len(data), size, len(name.encode()))
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields, 0) + name.encode() + data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0, offset) + name.encode()
    start = len(out)
    out += central
    count = len(members)
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(central), start, 0)
    return bytes(out)


def docx_with_document(data: bytes, size: int, crc: int = 0) -> bytes:
    """A DOCX-looking zip whose word/document.xml is ``data`` (raw deflate) declared as ``size``."""
    types = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    small = packer.compress(types) + packer.flush()
    return zip_file([("[Content_Types].xml", small, len(types), zlib.crc32(types)),
                     ("word/document.xml", data, size, crc)])


def pdf(objects: list[bytes]) -> bytes:
    """A PDF of ``objects`` (numbered from 1; the first is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def text_pdf(content: bytes, *, metadata: bytes | None = None) -> bytes:
    """A one-page PDF whose page draws ``content`` (a FlateDecode content stream) in Helvetica."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R" + (b" /Metadata 6 0 R" if metadata else b"") + b" >>"
    objects = [
        catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        stream(b"/Filter /FlateDecode", content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if metadata is not None:
        objects.append(metadata)
    return pdf(objects)
