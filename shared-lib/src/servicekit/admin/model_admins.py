"""The two kinds of model admin a service has.

A change made in the admin must keep the same invariants, publish the same events and
invalidate the same cached reads as one made through the API, so every admin that may change
data calls the service functions from ``save_model``/``delete_model``/``delete_queryset``
and its actions (:class:`ServiceModelAdmin`); the others are read-only
(:class:`ReadOnlyModelAdmin`), though they may offer actions that call a service.

A service refusing a change (a ``ValidationError`` or an ``ApplicationError`` such as a
409) rolls the admin's transaction back and comes back as an error message on the page,
never as a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from servicekit.envelope.errors import ApplicationError
from servicekit.money import format_amount

ServiceError = (ValidationError, ApplicationError)
ACTOR_MAX_LENGTH = 64  # the audit fields that record it (``actor_id``, ``moderated_by``…)


def admin_actor(request: HttpRequest) -> str:
    """Who acted, for audit fields: ``admin:<email>``."""
    return f"admin:{request.user.get_username()}"[:ACTOR_MAX_LENGTH]


def describe(error: Exception) -> str:
    """A service error as one line for an admin message."""
    if isinstance(error, ApplicationError):
        return error.message
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages_)}"
            if field not in ("__all__", "non_field_errors")
            else " ".join(messages_)
            for field, messages_ in error.message_dict.items()
        )
    return " ".join(getattr(error, "messages", [str(error)]))


def form_errors_from(error: ValidationError, fields: Iterable[str]) -> ValidationError:
    """A service's field errors, for a form: unknown fields become form-wide errors."""
    known = set(fields)
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {(field if field in known else None): messages_ for field, messages_ in error.message_dict.items()}  # type: ignore[misc]  # None: a form-wide error
    )


def amount_column(field: str, *, currency: str = "currency") -> Callable[[Model], str]:
    """A ``list_display`` column showing an amount as the API writes it (JPY ``1200``, not
    ``1200.0000``), in the currency held by the row's ``currency`` attribute."""

    @admin.display(description=field.replace("_", " "), ordering=field)
    def column(obj: Model) -> str:
        amount = getattr(obj, field)
        try:
            return format_amount(amount, getattr(obj, currency))
        except ValueError:  # a row no service should have written: show it as stored
            return str(amount)

    column.__name__ = field  # the cells' CSS class: field-<field>
    return column


def adopt(obj: Model, saved: Model) -> None:
    """Make the admin's unsaved ``obj`` the row a service created (for the history and the redirect)."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


class _ServiceActionsAdmin(admin.ModelAdmin):
    def apply_to_each(
        self, request: HttpRequest, objects: Iterable[Model], operation: Callable[[Model], Any], *, done: str
    ) -> int:
        """Run a service ``operation`` on each object (each in its own transaction) and report
        what was done and what was refused, and why; returns how many succeeded."""
        succeeded, refused = 0, []
        for obj in objects:
            try:
                operation(obj)
            except ServiceError as error:
                refused.append(f"{obj}: {describe(error)}")
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, f"{done}: {succeeded}.", messages.SUCCESS)
        if refused:
            self.message_user(request, f"Refused ({len(refused)}): " + " | ".join(refused), messages.ERROR)
        return succeeded


class ViewOnly:
    """Nothing added, changed or deleted by hand: for a model admin or an inline."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyModelAdmin(ViewOnly, _ServiceActionsAdmin):
    """Rows that only the services (or other services' events) write: view them, nothing else.

    An action that changes rows through a service may still be offered: declare it with
    ``@admin.action(permissions=["service"])``; it is allowed to whoever holds the model's
    change permission (which here never allows editing a row by hand).
    """

    def has_service_permission(self, request: HttpRequest) -> bool:
        return admin.ModelAdmin.has_change_permission(self, request)


class ReadOnlyTabularInline(ViewOnly, admin.TabularInline):
    """Rows shown with their parent that nobody edits by hand (order lines, history)."""

    extra = 0
    can_delete = False


def _delete_selected_through_services(modeladmin, request, queryset):
    """Django's "delete selected" (same confirmation page), deleting each row through the
    service and reporting what was refused rather than "Successfully deleted" for all."""
    if request.POST.get("post"):
        _, _, perms_needed, protected = modeladmin.get_deleted_objects(queryset, request)
        if not protected:
            if perms_needed:
                raise PermissionDenied

            def delete(obj: Model) -> None:
                modeladmin.delete_through_service(request, obj)
                modeladmin.log_deletions(request, [obj])  # the service deleted its own copy

            modeladmin.apply_to_each(request, list(queryset), delete, done="Deleted")
            return None
    return delete_selected(modeladmin, request, queryset)


class ServiceModelAdmin(_ServiceActionsAdmin):
    """An admin whose writes are service calls; subclasses implement the hooks they allow
    (``save_model``, :meth:`delete_through_service`). Deleting is offered only by the admins
    that implement :meth:`delete_through_service`."""

    def delete_through_service(self, request: HttpRequest, obj: Model) -> None:
        raise PermissionDenied  # subclasses that allow deleting call their service here

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        deletes = type(self).delete_through_service is not ServiceModelAdmin.delete_through_service
        return deletes and super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        self.delete_through_service(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        self.apply_to_each(
            request, list(queryset), lambda obj: self.delete_through_service(request, obj), done="Deleted"
        )

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions: dict[str, Any] = super().get_actions(request)
        if "delete_selected" in actions:
            _, name, description = actions["delete_selected"]
            actions["delete_selected"] = (_delete_selected_through_services, name, description)
        return actions

    def _refused(self, request: HttpRequest, error: Exception, redirect_to: str) -> HttpResponse:
        self.message_user(request, describe(error), messages.ERROR)
        return HttpResponseRedirect(redirect_to)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Django runs the form view in a transaction: a refusal rolls back everything it wrote.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as error:
            return self._refused(request, error, request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceError as error:
            opts = self.model._meta
            change_url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[quote(object_id)],
                current_app=self.admin_site.name,
            )
            return self._refused(request, error, change_url)
