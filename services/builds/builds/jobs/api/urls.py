"""Routes under /api/v1/builds/jobs/ (builds/urls.py)."""

from django.urls import path

from builds.jobs.api.views import JobDetailApi, JobLogApi

urlpatterns = [
    path("<int:job_id>/", JobDetailApi.as_view(), name="jobs-job-detail"),
    path("<int:job_id>/log/", JobLogApi.as_view(), name="jobs-job-log"),
]
