"""Keys made before every route declared a scope carry the old names: rename them to the scope
of the same context (read/write per context), and drop those that would now grant more
(``users:read`` would become ``users:admin``) or that no route uses (``admin``)."""

from django.db import migrations

RENAMED = {
    "cart:read": "orders:read",
    "payments:read": "orders:read",
    "cart:write": "orders:write",
    "payments:write": "orders:write",
    "orders:manage": "orders:write",
    "messaging:write": "messaging:send",
    "users:write": "users:admin",
}
DROPPED = {"users:read", "admin"}


def rename_scopes(apps, schema_editor):
    ApiKey = apps.get_model("apikeys", "ApiKey")
    for api_key in ApiKey.objects.filter(scopes__overlap=[*RENAMED, *DROPPED]).iterator():
        api_key.scopes = sorted({RENAMED.get(scope, scope) for scope in api_key.scopes} - DROPPED)
        api_key.save(update_fields=["scopes"])


class Migration(migrations.Migration):
    dependencies = [("apikeys", "0001_initial")]

    operations = [migrations.RunPython(rename_scopes, migrations.RunPython.noop)]
