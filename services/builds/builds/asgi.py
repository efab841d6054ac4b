"""The builds web process's application: served under ASGI (gunicorn with uvicorn workers, see
entrypoint.sh), so a client following a job's log holds no worker while it waits; the rest of
the API is Django's sync views, run in the worker's thread pool."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "builds.settings")
application = get_asgi_application()
