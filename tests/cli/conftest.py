"""CLI fixtures: the demo database shared with the UI tests."""

from tests.demo_fixtures import demo_db, demo_template, empty_db, fake_cache

__all__ = ["demo_db", "demo_template", "empty_db", "fake_cache"]
