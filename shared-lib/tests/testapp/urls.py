from django.urls import path

from servicekit.api import operations
from tests.testapp import views

urlpatterns = [
    path("echo/", views.EchoApi.as_view()),
    path("upload/", views.UploadApi.as_view()),
    path("items/", views.ItemListApi.as_view()),
    path("boom/", views.BoomApi.as_view()),
    path("conflict/", views.ConflictApi.as_view()),
    path("whoami/", views.WhoAmIApi.as_view()),
    path("staff-or-vendor/", views.StaffOrVendorApi.as_view()),
    path("scoped/", views.ScopedApi.as_view()),
    path("staff-only/", views.StaffOnlyApi.as_view()),
    path("owned/<str:owner>/", views.OwnedThingApi.as_view()),
    path("drift/", views.DriftApi.as_view()),
    path("picture/", views.PictureApi.as_view()),
    path("report/", views.ReportCsvApi.as_view()),
    path("switches/", operations(get=views.SwitchListApi, post=views.SwitchCreateApi), name="switch-list"),
    path("undeclared-scope/", views.UndeclaredScopeApi.as_view()),
    path(
        "switches/count/",
        operations(get=views.SwitchCountApi, post=views.SwitchCreateApi),
        name="switch-count",
    ),
]
