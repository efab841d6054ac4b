"""The DRF renderer that wraps every response body in the envelope."""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import JSONRenderer

from servicekit.envelope.meta import build_meta

# Set on a Response whose body is already ``{"data"|"error": …, "meta"?: …}``.
ENVELOPED_ATTR = "servicekit_enveloped"


class EnvelopeJSONRenderer(JSONRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code == 204:
            return b""
        body = wrap(data, already_enveloped=bool(getattr(response, ENVELOPED_ATTR, False)))
        return super().render(body, accepted_media_type, renderer_context)


def wrap(data: Any, *, already_enveloped: bool) -> dict[str, Any]:
    if already_enveloped and isinstance(data, dict):
        meta = build_meta(data.get("meta"))
        return {**data, "meta": meta}
    return {"data": data, "meta": build_meta()}
