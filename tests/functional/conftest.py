"""Functional tests: the real WSGI stack through webtest against the session's site."""

import pytest


@pytest.fixture
def api(site):
    """The API (noauth) over a database emptied after the test."""
    yield site.app()
    site.reset_database()


@pytest.fixture
def ctx(site):
    return site.context()
