from __future__ import annotations

from django import forms
from django.contrib import admin

from catalog.categories.models import Category
from catalog.categories.services import (
    UPDATABLE_FIELDS,
    category_create,
    category_is_within,
    category_update,
)
from catalog.products.services import category_delete
from servicekit.admin import ServiceModelAdmin, adopt


class CategoryAdminForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "slug", "parent", "description", "position"]

    def clean_parent(self):
        # Shown on the form; the service checks again under the tree lock when saving.
        parent = self.cleaned_data.get("parent")
        category = self.instance
        moving = parent is not None and not category._state.adding
        if moving and category_is_within(category_id=parent.pk, root_id=category.pk):
            raise forms.ValidationError("A category cannot move below itself or its descendants.")
        return parent


@admin.register(Category)
class CategoryAdmin(ServiceModelAdmin):
    """Creates, changes (moves included) and deletes through the services (deleting is the
    products app's ``category_delete``): cycles are refused, the read cache is invalidated, and
    a non-empty category is not deleted (the API's ``?reassign_to=`` moves its contents first)."""

    form = CategoryAdminForm
    list_display = ["name", "slug", "parent", "position"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["parent__name", "position", "name"]

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        parent_id = data["parent"].pk if data.get("parent") else None
        if not change:
            created = category_create(
                name=data["name"],
                parent_id=parent_id,
                slug=data.get("slug") or None,
                description=data.get("description") or "",
                position=data.get("position") or 0,
            )
            adopt(obj, created)
            return
        changes = {name: data[name] for name in form.changed_data if name in UPDATABLE_FIELDS}
        if "parent" in changes:
            changes["parent"] = parent_id
        category_update(category=obj, data=changes)

    def delete_through_service(self, request, obj) -> None:
        category_delete(category=obj)
