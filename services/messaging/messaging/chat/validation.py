"""What a send request must satisfy: an E.164 number, bounded text, media of an allowed type
and size. The type of a file is sniffed from its bytes, never taken from the client."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from urllib.parse import urlsplit

import filetype
import phonenumbers
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from messaging.chat.errors import MessageErrorCode
from messaging.chat.models import MessageKind
from servicekit.envelope.errors import ApplicationError

SNIFF_BYTES = 8192  # what filetype looks at
MAX_NUMBER_LENGTH = 32
MAX_URL_LENGTH = 2048
FETCHABLE_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class MediaCheck:
    kind: str
    mimetype: str = ""  # "" for a URL not fetched yet: the send task sniffs it
    size: int | None = None
    filename: str = ""


def invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(message, code=MessageErrorCode.INVALID, details={field: [message]})


def normalize_phone_number(value: str, *, field: str = "to") -> str:
    """``"+34 600 00 00 01"`` → ``"+34600000001"``; a number without its country code, or one
    no phone could have, is refused."""
    value = (value or "").strip()
    if not value.startswith("+") or len(value) > MAX_NUMBER_LENGTH:
        raise invalid(field, "Give the number in international format, starting with + and the country code.")
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise invalid(field, "This is not a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise invalid(field, "This number does not exist in its country's numbering plan.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_content(*, text: str, media_file: UploadedFile | None, media_url: str) -> MediaCheck:
    """The message's kind and media, once its text and media pass the limits."""
    conf = settings.MESSAGING
    if media_file is not None and media_url:
        raise invalid("media", "Send either a file or a URL, not both.")
    has_media = media_file is not None or bool(media_url)
    limit = conf["MAX_CAPTION_LENGTH"] if has_media else conf["MAX_TEXT_LENGTH"]
    if not has_media and not text.strip():
        raise invalid("text", "A message needs text or media.")
    if len(text) > limit:
        raise invalid("text", f"The text is {len(text)} characters; the limit is {limit}.")
    if media_file is not None:
        return check_upload(media_file)
    if media_url:
        return check_media_url(media_url)
    return MediaCheck(kind=MessageKind.TEXT)


def check_upload(upload: UploadedFile) -> MediaCheck:
    size = upload.size or 0
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    mimetype = check_media_bytes(head, size=size, field="media")
    return MediaCheck(
        kind=media_kind(mimetype), mimetype=mimetype, size=size, filename=_filename(upload.name)
    )


def check_media_bytes(head: bytes, *, size: int, field: str = "media") -> str:
    """The sniffed type of a file of ``size`` bytes starting with ``head``; raises if refused."""
    conf = settings.MESSAGING
    if size <= 0:
        raise invalid(field, "The file is empty.")
    if size > conf["MEDIA_MAX_BYTES"]:
        raise invalid(field, f"The file is {size} bytes; the limit is {conf['MEDIA_MAX_BYTES']} bytes.")
    mimetype = filetype.guess_mime(head)
    if mimetype not in conf["MEDIA_TYPES"]:
        raise invalid(
            field,
            f"Unsupported media type {mimetype or 'unknown'}; allowed: {', '.join(conf['MEDIA_TYPES'])}.",
        )
    return mimetype


def check_media_url(url: str) -> MediaCheck:
    """A URL's shape now; its size and type when the send task fetches it."""
    parts = urlsplit(url)
    if len(url) > MAX_URL_LENGTH or parts.scheme not in FETCHABLE_SCHEMES or not parts.hostname:
        raise invalid("media_url", f"Give an http(s) URL of at most {MAX_URL_LENGTH} characters.")
    guessed, _ = mimetypes.guess_type(parts.path)
    if guessed and guessed not in settings.MESSAGING["MEDIA_TYPES"]:  # refuse early what we can
        raise invalid(
            "media_url",
            f"Unsupported media type {guessed}; allowed: {', '.join(settings.MESSAGING['MEDIA_TYPES'])}.",
        )
    return MediaCheck(kind=media_kind(guessed or ""), filename=_filename(parts.path))


def media_kind(mimetype: str) -> str:
    major = mimetype.split("/")[0]
    return {"image": MessageKind.IMAGE, "video": MessageKind.VIDEO, "audio": MessageKind.AUDIO}.get(
        major, MessageKind.DOCUMENT
    )


def _filename(name: str | None) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base[:255] or "file"
