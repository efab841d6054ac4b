"""Test helpers for services: token factory, API client helpers, captured events."""
