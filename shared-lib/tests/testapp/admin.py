"""Admins over the test models, as a service would write them (for servicekit.admin's tests)."""

from django.contrib import admin
from django.core.exceptions import ValidationError

from servicekit.admin import ReadOnlyModelAdmin, ServiceModelAdmin
from servicekit.envelope import Conflict
from tests.testapp.models import Effect, Switch


def effect_forget(*, effect: Effect) -> None:
    """A 'service' that refuses some rows."""
    if effect.subject == "kept":
        raise Conflict("This effect is kept.")
    effect.delete()


def switch_set(*, name: str, is_on: bool) -> Switch:
    if name == "stuck":
        raise ValidationError({"is_on": ["This switch is stuck."]})
    switch, _ = Switch.objects.update_or_create(name=name, defaults={"is_on": is_on})
    return switch


@admin.register(Effect)
class EffectAdmin(ReadOnlyModelAdmin):
    actions = ["forget"]

    @admin.action(description="Forget selected effects", permissions=["service"])
    def forget(self, request, queryset):
        self.apply_to_each(request, queryset, lambda effect: effect_forget(effect=effect), done="Forgotten")


@admin.register(Switch)
class SwitchAdmin(ServiceModelAdmin):
    fields = ["name", "is_on"]

    def save_model(self, request, obj, form, change) -> None:
        switch_set(name=form.cleaned_data["name"], is_on=form.cleaned_data["is_on"])
