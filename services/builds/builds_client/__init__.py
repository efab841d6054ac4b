"""Our command-line client of the flat-manager protocol (``builds-client``): pushes a local
OSTree repository the way a CI job does (create → missing objects → upload → build refs →
commit → follow the jobs → publish → follow the jobs), resumable after an interruption.

A package of its own beside ``builds`` (in the same distribution): importing it loads no
Django and no Celery, and it speaks only the wire protocol
(the protocol as ``services/builds/README.md`` sums it up), so it works against flat-manager too.
"""
