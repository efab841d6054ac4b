"""identity's Django admin for accounts. Every change goes through the services, so the admin
publishes the same events and revokes the same tokens as the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, BaseUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError

from identity.access import services as access
from identity.accounts import services
from identity.accounts.models import Role, User, normalize_email
from identity.logins import lockout
from identity.logins.services import account_unlock
from identity.tokens.models import RevocationReason
from identity.tokens.services import user_tokens_revoke_all
from servicekit.admin import ServiceModelAdmin, adopt
from servicekit.envelope.errors import ApplicationError


def roles_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(choices=Role.choices, widget=forms.CheckboxSelectMultiple)


class UserCreationAdminForm(BaseUserCreationForm):
    roles = roles_field()

    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "roles")

    def clean_email(self) -> str:
        email = normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():
            raise ValidationError("An account with this email already exists.")
        return email


class UserChangeAdminForm(UserChangeForm):
    roles = roles_field()
    actor: User | None = None  # set per request by UserAdmin.get_form

    class Meta:
        model = User
        fields = (
            "first_name",
            "last_name",
            "roles",
            "is_active",
            "email_verified",
            "groups",
            "user_permissions",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        changes = {
            field: cleaned[field] for field in self.changed_data if field in services.STAFF_EDITABLE_FIELDS
        }
        try:
            services.user_update_check(user=self.instance, actor=self.actor, changes=changes)
        except ApplicationError as exc:
            raise ValidationError(exc.message) from None
        return cleaned


class PasswordSetAdminForm(AdminPasswordChangeForm):
    """Staff set a password: always a usable one, and the user is signed out everywhere."""

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.fields.pop("usable_password", None)
        self.fields["password1"].required = self.fields["password2"].required = True

    def save(self, commit: bool = True) -> User:
        return access.user_password_set(
            user=self.user, password=self.cleaned_data["password1"], reason=RevocationReason.PASSWORD_CHANGED
        )


class RoleFilter(admin.SimpleListFilter):
    title = "role"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        return queryset.filter(roles__contains=[self.value()]) if self.value() else queryset


@admin.register(User)
class UserAdmin(ServiceModelAdmin, DjangoUserAdmin):
    """Accounts are created, changed and signed out through the account services; they are
    deactivated, never deleted (other services keep their ids)."""

    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    change_password_form = PasswordSetAdminForm
    list_display = (
        "email",
        "full_name",
        "roles",
        "is_active",
        "email_verified",
        "failed_sign_ins",
        "created_at",
        "last_login",
    )
    list_filter = (RoleFilter, "is_active", "email_verified", "created_at", "last_login")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "updated_at", "last_login")
    filter_horizontal = ("groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Access", {"fields": ("roles", "is_active", "email_verified", "groups", "user_permissions")}),
        ("Dates", {"fields": ("created_at", "updated_at", "last_login")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "roles", "password1", "password2"),
            },
        ),
    )
    actions = ["activate", "deactivate", "unlock", "sign_out_everywhere"]

    def get_readonly_fields(self, request, obj=None):
        # The email is the login: set once at creation (changing it would need re-verification).
        return (*self.readonly_fields, "email") if obj else self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    @admin.display(description="failed sign-ins")
    def failed_sign_ins(self, user: User) -> int:
        # Recent ones, every address: enough from one locks that address out, and many slow the
        # account down (identity.logins.lockout); "unlock" clears both.
        return lockout.recent_failures(user.email)

    def save_model(self, request, obj: User, form, change: bool) -> None:
        if not change:
            created = services.user_create(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                roles=form.cleaned_data["roles"],
            )
            adopt(obj, created)
            return
        changes = {
            field: form.cleaned_data[field]
            for field in form.changed_data
            if field in services.STAFF_EDITABLE_FIELDS
        }
        access.user_update(user=User.objects.get(pk=obj.pk), actor=request.user, **changes)
        obj.refresh_from_db()

    @admin.action(description="Activate selected accounts", permissions=["change"])
    def activate(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda user: access.user_activate(user=user, actor=request.user),
            done="Activated",
        )

    @admin.action(description="Deactivate selected accounts (signs them out)", permissions=["change"])
    def deactivate(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda user: access.user_deactivate(user=user, actor=request.user),
            done="Deactivated",
        )

    @admin.action(description="Unlock selected accounts (failed sign-ins)", permissions=["change"])
    def unlock(self, request, queryset):
        self.apply_to_each(request, queryset, lambda user: account_unlock(user=user), done="Unlocked")

    @admin.action(description="Sign selected accounts out everywhere", permissions=["change"])
    def sign_out_everywhere(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda user: user_tokens_revoke_all(user=user, reason=RevocationReason.STAFF),
            done="Signed out",
        )
