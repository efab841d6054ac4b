"""The builds web process's application: served under ASGI (gunicorn with uvicorn workers, see
entrypoint.sh), so a client following a job's log holds no worker while it waits; the rest of
the API is Django's sync views, run in the worker's thread pool. Upload bodies stream to their
view as they arrive instead of being spooled first (``builds.protocol.streaming``)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "builds.settings")
django.setup(set_prefix=False)

from builds.protocol.streaming import StreamingUploadsASGIHandler  # noqa: E402 (needs the settings)

application = StreamingUploadsASGIHandler()
