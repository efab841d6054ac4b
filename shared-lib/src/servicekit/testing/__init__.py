"""Test helpers for services: token factory, API client helpers, captured events, polling
(``polling.wait_until``) and jobs run at the same moment (``concurrency.run_concurrently``,
``concurrency.results_concurrently``)."""
