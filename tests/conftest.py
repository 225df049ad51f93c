"""The test site, once per session: dcmanager's configuration, a real database, a running manager.

``--backend embedded`` (default): SQLite in a temporary directory and the in-process RPC transport.
``--backend production``: PostgreSQL and RabbitMQ, started on loopback by ``tests/services.py``
(and stopped by pid).

Each test asks for what it needs and gets only that: ``database`` (the configuration and the
schema: PostgreSQL alone in production) or ``site`` (the database plus a manager on the RPC
transport: RabbitMQ too). A server that is not installed skips the tests that need it, and only
those; ``--no-skip`` (or ``DCMANAGER_TEST_NO_SKIP=1``, which ``.ci/run`` sets) turns every skip
into a failure, so a tier can never pass having run nothing.
"""

import contextlib
import os

import pytest

from tests import harness

NO_SKIP_ENV = 'DCMANAGER_TEST_NO_SKIP'


def pytest_addoption(parser):
    parser.addoption('--backend', choices=('embedded', 'production'), default='embedded',
                     help='Database and RPC backend of the test site.')
    parser.addoption('--no-skip', action='store_true',
                     default=os.environ.get(NO_SKIP_ENV, '') not in ('', '0'),
                     help='Report every skipped test as failed (default: set when %s is set '
                          'to anything but 0).' % NO_SKIP_ENV)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, 'wasxfail') and item.config.getoption('--no-skip'):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = 'failed'
        report.longrepr = 'skipped under --no-skip (%s): %s' % (NO_SKIP_ENV, reason)


@pytest.fixture(scope='session')
def backend(request):
    return request.config.getoption('--backend')


@pytest.fixture(scope='session')
def database_url(backend, tmp_path_factory):
    """The session's database: SQLite, or a PostgreSQL server started for the session."""
    if backend != 'production':
        yield 'sqlite:///%s' % os.path.join(tmp_path_factory.mktemp('sqlite'), 'dcmanager.sqlite')
        return
    from tests import services
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(services.postgresql(tmp_path_factory.mktemp('pg')))
        except services.NotInstalled as e:
            pytest.skip('PostgreSQL unavailable: %s' % e)
        yield url


@pytest.fixture(scope='session')
def transport_url(backend, tmp_path_factory):
    """The session's RPC transport: in-process, or a RabbitMQ broker started for the session."""
    if backend != 'production':
        yield 'kombu+memory:////'
        return
    from tests import services
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(services.rabbitmq(tmp_path_factory.mktemp('rabbitmq')))
        except services.NotInstalled as e:
            pytest.skip('RabbitMQ unavailable: %s' % e)
        yield url


@pytest.fixture(scope='session')
def database(database_url, tmp_path_factory):
    """A configured site without a manager: schema at head. Yields the Site helper."""
    with harness.Site(str(tmp_path_factory.mktemp('site')), db_url=database_url) as test_site:
        yield test_site


@pytest.fixture(scope='session')
def site(database, transport_url):
    """The configured site with its manager listening on the session's RPC transport."""
    database.start_manager(transport_url)
    try:
        yield database
    finally:
        database.stop_manager()
