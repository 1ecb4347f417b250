"""Request bodies sent compressed (`Content-Encoding: gzip` or `deflate`), decompressed with a
bound: a small body that would inflate past the limit (a zip bomb) is refused with 413 before it
takes the memory. RudderStack's SDKs gzip by default."""

from __future__ import annotations

import zlib

from errors import MalformedBody, PayloadTooLarge, UnsupportedMediaType

CHUNK = 64 * 1024
# zlib's wbits: gzip framing, zlib framing, and raw deflate (some clients send "deflate" raw).
_WBITS = {"gzip": (31,), "x-gzip": (31,), "deflate": (15, -15)}


def decode_content(body: bytes, encoding: str | None, *, limit: int) -> bytes:
    """`body` as sent before its Content-Encoding; at most `limit` bytes once decoded."""
    codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):  # the last coding applied is the first to undo
        if coding == "identity":
            continue
        if coding not in _WBITS:
            raise UnsupportedMediaType(
                f"Content-Encoding: {coding!r} is not accepted; send the body as is, or gzip or deflate it",
                code="unsupported_content_encoding",
            )
        body = _inflate(body, coding, limit)
    return body


def _inflate(body: bytes, coding: str, limit: int) -> bytes:
    last_error: zlib.error | None = None
    for wbits in _WBITS[coding]:
        try:
            return _inflate_with(body, wbits, limit)
        except zlib.error as exc:
            last_error = exc
    raise MalformedBody(f"body is not valid {coding} data ({last_error})")


def _inflate_with(body: bytes, wbits: int, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    out: list[bytes] = []
    size = 0
    data = body
    while data:
        # max_length bounds what one call may produce: memory never exceeds the limit + a chunk.
        piece = inflater.decompress(data, CHUNK)
        size += len(piece)
        if size > limit:
            raise PayloadTooLarge(f"body is larger than {limit} bytes once decompressed, the most accepted")
        out.append(piece)
        data = inflater.unconsumed_tail
        if not piece and not data:
            break
    rest = inflater.flush()
    size += len(rest)
    if size > limit:
        raise PayloadTooLarge(f"body is larger than {limit} bytes once decompressed, the most accepted")
    if not inflater.eof:
        raise zlib.error("the compressed data ends early")
    return b"".join([*out, rest])
