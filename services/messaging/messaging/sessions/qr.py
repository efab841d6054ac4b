"""QR codes drawn from the provider's QR text, as PNG and SVG (segno, no image library needed)."""

from __future__ import annotations

import io

import segno

# WhatsApp's codes are long: medium error correction keeps them scannable from a screen.
ERROR_CORRECTION = "m"


def qr_png(value: str, *, scale: int = 8, border: int = 4) -> bytes:
    return _render(value, kind="png", scale=scale, border=border)


def qr_svg(value: str, *, scale: int = 8, border: int = 4) -> bytes:
    return _render(value, kind="svg", scale=scale, border=border)


def _render(value: str, *, kind: str, scale: int, border: int) -> bytes:
    buffer = io.BytesIO()
    segno.make(value, error=ERROR_CORRECTION, micro=False).save(buffer, kind=kind, scale=scale, border=border)
    return buffer.getvalue()
