"""The jobs' work with the real tools: one handler class per job kind (see
``builds.jobs.runner`` for the protocol and ``runner.HANDLERS`` for the table)."""
