"""DRF's JSON parser, hardened: every body it cannot read is a 400 ``parse_error``.

DRF turns ``ValueError`` into ``ParseError`` but lets ``RecursionError`` through, so a body
of ``[[[[…`` nested a few thousand deep made any JSON endpoint answer 500 (and log a
traceback) for a few kilobytes of input.

A ``charset`` that is not a text encoding Python knows is refused too. DRF refuses the ones
it is handed, but Django drops an unknown charset silently (``request.encoding`` stays the
default), so ``application/json; charset=bogus`` used to be read as UTF-8: the parser reads
the charset from the Content-Type itself.

It is every operation's only parser (``servicekit.settings.base``): a form or any other body
is a 415 ``unsupported_media_type``. An operation that takes files opts in to multipart with
``parser_classes = UPLOAD_PARSERS``, which keeps this parser for its JSON bodies.
"""

from __future__ import annotations

from typing import Any

from django.utils.http import parse_header_parameters
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        charset = parse_header_parameters(media_type or "")[1].get("charset")
        if charset is not None:
            try:
                "".encode(charset)  # unlike codecs.lookup(), refuses bytes codecs (bz2_codec: a zip bomb)
            except (LookupError, UnicodeError):
                raise ParseError(f'Unsupported charset "{charset}" in request Content-Type header.') from None
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
        except ValueError as exc:  # DRF catches these itself; kept for any that slip past
            raise ParseError(f"JSON parse error - {exc}") from None


# An upload operation's parsers: JSON (this module's, with its limits) and multipart for the files.
# Not url-encoded forms, which cannot carry a file.
UPLOAD_PARSERS: tuple[type[parsers.BaseParser], ...] = (JSONParser, parsers.MultiPartParser)
