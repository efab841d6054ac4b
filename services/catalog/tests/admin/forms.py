"""Build an admin form's POST data from the page, as a browser would submit it unchanged."""

from __future__ import annotations

from typing import Any


def _value(bound: Any) -> Any:
    value = bound.value()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    if hasattr(value, "pk"):
        return str(value.pk)
    return str(value) if not hasattr(value, "read") else None


def _form_fields(form: Any, data: dict[str, Any]) -> None:
    for name in form.fields:
        value = _value(form[name])
        if value is not None:
            data[form.add_prefix(name)] = value


def admin_form_data(response: Any, **changes: Any) -> dict[str, Any]:
    """The page's main form and inline formsets (management forms included), then ``changes``."""
    assert response.status_code == 200, response.content[:500]
    data: dict[str, Any] = {}
    _form_fields(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _form_fields(formset.management_form, data)
        for form in formset.forms:
            _form_fields(form, data)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data
