"""The test site, once per session: dcmanager's configuration, a real database, a running manager.

``--backend embedded`` (default): SQLite in a temporary directory and the in-process RPC transport.
``--backend production``: PostgreSQL and RabbitMQ, started on loopback by ``tests/services.py``
(and stopped by pid); the whole session is skipped when their servers are not installed.
"""

import contextlib
import os

import pytest

from tests import harness


def pytest_addoption(parser):
    parser.addoption('--backend', choices=('embedded', 'production'), default='embedded',
                     help='Database and RPC backend of the test site.')


@pytest.fixture(scope='session')
def backend(request):
    return request.config.getoption('--backend')


@pytest.fixture(scope='session')
def site(backend, tmp_path_factory):
    """A configured site: schema at head, manager listening. Yields the Site helper."""
    workdir = tmp_path_factory.mktemp('site')
    with contextlib.ExitStack() as stack:
        if backend == 'production':
            from tests import services
            try:
                db_url = stack.enter_context(services.postgresql(workdir / 'pg'))
                transport_url = stack.enter_context(services.rabbitmq(workdir / 'rabbitmq'))
            except services.NotInstalled as e:
                pytest.skip('production backend unavailable: %s' % e)
        else:
            db_url = 'sqlite:///%s' % os.path.join(workdir, 'dcmanager.sqlite')
            transport_url = 'kombu+memory:////'
        test_site = stack.enter_context(
            harness.Site(str(workdir), db_url=db_url, transport_url=transport_url))
        yield test_site
