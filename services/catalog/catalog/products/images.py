"""Uploaded product images: the type is sniffed from the bytes, never trusted from the client."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

# (content type, file extension, signature at offset 0, optional (offset, bytes) check)
_SIGNATURES: list[tuple[str, str, bytes, tuple[int, bytes] | None]] = [
    ("image/jpeg", "jpg", b"\xff\xd8\xff", None),
    ("image/png", "png", b"\x89PNG\r\n\x1a\n", None),
    ("image/gif", "gif", b"GIF87a", None),
    ("image/gif", "gif", b"GIF89a", None),
    ("image/webp", "webp", b"RIFF", (8, b"WEBP")),
]
ALLOWED_CONTENT_TYPES = sorted({content_type for content_type, *_ in _SIGNATURES})
EXTENSIONS = {content_type: extension for content_type, extension, *_ in _SIGNATURES}


def sniff_image_type(head: bytes) -> str | None:
    """The image content type announced by the file's first bytes, or None."""
    for content_type, _, signature, extra in _SIGNATURES:
        if head.startswith(signature) and (
            extra is None or head[extra[0] : extra[0] + len(extra[1])] == extra[1]
        ):
            return content_type
    return None


def validate_image_upload(upload: UploadedFile) -> str:
    """The sniffed content type of a valid upload; ``ValidationError`` on ``file`` otherwise."""
    limit = settings.CATALOG["MAX_IMAGE_BYTES"]
    if upload.size is None or upload.size == 0:
        raise ValidationError({"file": ["The file is empty."]})
    if upload.size > limit:
        raise ValidationError({"file": [f"The image is {upload.size} bytes; the limit is {limit} bytes."]})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff_image_type(head)
    if content_type is None:
        raise ValidationError(
            {"file": [f"Unsupported image type; allowed: {', '.join(ALLOWED_CONTENT_TYPES)}."]}
        )
    return content_type
