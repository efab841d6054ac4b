"""flat-manager's protocol (``/flat-manager/``), spoken by its clients: ``flat-manager-client``
in CI jobs and our own client. Thin views over the same domain services as the REST API, with
the protocol's own conventions: status 200 on success, errors as
``{"status", "error-type", "message"}``, Location headers, gzip-compressed bodies and
``multipart/mixed`` uploads streamed to disk (docs/api.md, "builds")."""
