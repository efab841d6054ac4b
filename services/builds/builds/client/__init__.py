"""Our command-line client of the flat-manager protocol (``builds-client``): pushes a local
OSTree repository the way a CI job does (create → missing objects → upload → build refs →
commit → follow the jobs → publish → follow the jobs), resumable after an interruption.

It imports nothing from the service (no Django): it speaks only the wire protocol
(the protocol as ``services/builds/README.md`` sums it up), so it works against flat-manager too.
"""
