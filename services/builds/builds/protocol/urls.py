"""Routes under /flat-manager/ (builds/urls.py): flat-manager's API, paths as its clients join
them onto the base URL. Anything else under the prefix is the protocol's 404.

``internal_urlpatterns`` (under /internal/builds/): the gateway's auth_request subrequests."""

from django.urls import path, re_path

from builds.protocol import gateway, views

build = "api/v1/build/<int:build_id>"

urlpatterns = [
    path("api/v1/build", views.create_build, name="protocol-build-list"),
    path(build, views.get_build, name="protocol-build-detail"),
    path(f"{build}/extended", views.get_build_extended, name="protocol-build-extended"),
    path(f"{build}/missing_objects", views.missing_objects, name="protocol-build-missing-objects"),
    path(f"{build}/upload", views.upload, name="protocol-build-upload"),
    path(f"{build}/build_ref", views.create_build_ref, name="protocol-build-refs"),
    path(f"{build}/build_ref/<int:ref_id>", views.get_build_ref, name="protocol-build-ref"),
    path(f"{build}/add_extra_ids", views.add_extra_ids, name="protocol-build-extra-ids"),
    path(f"{build}/commit", views.commit, name="protocol-build-commit"),
    path(f"{build}/publish", views.publish, name="protocol-build-publish"),
    path(f"{build}/purge", views.purge, name="protocol-build-purge"),
    path(f"{build}/check/<str:name>/job", views.check_job, name="protocol-build-check-job"),
    path("api/v1/job/<int:job_id>", views.get_job, name="protocol-job-detail"),
    path("api/v1/repo/<str:repo>/republish", views.republish, name="protocol-repository-republish"),
    path("api/v1/prune", views.prune, name="protocol-prune"),
    path("api/v1/token_subset", views.create_token_subset, name="protocol-token-subset"),
    re_path(r"^(?P<path>.*)$", views.not_found, name="protocol-not-found"),
]

internal_urlpatterns = [
    path("downloads/authorize", gateway.authorize_download, name="internal-protocol-download-authorize"),
    path("uploads/authorize", gateway.authorize_upload, name="internal-protocol-upload-authorize"),
]
