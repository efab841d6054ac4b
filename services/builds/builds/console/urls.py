from django.urls import path

from builds.console import views
from builds.console.session import CONSOLE
from servicekit.websession import session_urlpatterns

urlpatterns = [
    path("", views.dashboard, name="console-dashboard"),
    *session_urlpatterns(CONSOLE),  # login/, session/, logout/
    path("repos/", views.repository_list, name="console-repository-list"),
    path("repos/<str:name>/", views.repository_detail, name="console-repository-detail"),
    path("<int:build_id>/", views.build_detail, name="console-build-detail"),
    path("<int:build_id>/publish/", views.build_publish, name="console-build-publish"),
    path("<int:build_id>/purge/", views.build_purge, name="console-build-purge"),
    path("<int:build_id>/checks/<str:name>/review/", views.check_review, name="console-check-review"),
    path("jobs/<int:job_id>/log/", views.job_log, name="console-job-log"),
    path("jobs/<int:job_id>/events/", views.job_events, name="console-job-events"),
]
