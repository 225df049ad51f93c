"""Real PostgreSQL and RabbitMQ servers for ``pytest --backend=production``.

Each context manager starts one server on 127.0.0.1 only, on free ports, with its data under the
given work directory, waits until it answers and yields its URL. Every process it starts is recorded
(``<workdir>/pids``) and stopped by its pid on exit: the server's own stop command first, then
SIGTERM and SIGKILL to whatever recorded pid is still alive. Children never inherit the caller's
stdin, stdout or stderr (they write to log files), so a CI pipeline never waits on them.

``NotInstalled`` is raised when the server binaries are absent, so the tests that need that server
skip on a laptop. Debian's packages are expected (``apt-get install rabbitmq-server postgresql``);
``DCMANAGER_TEST_RABBITMQ_BIN`` (the directory of ``rabbitmq-server``) and
``DCMANAGER_TEST_POSTGRESQL_INITDB`` (a glob of ``initdb``) point the detection elsewhere, e.g. at
a path that does not exist to check what runs without that server.
"""

import contextlib
import glob
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HOST = '127.0.0.1'
START_TIMEOUT = float(os.environ.get('DCMANAGER_TEST_SERVICE_TIMEOUT', 120))
STOP_TIMEOUT = 30

RABBITMQ_BIN = os.environ.get('DCMANAGER_TEST_RABBITMQ_BIN', '/usr/lib/rabbitmq/bin')
PG_GLOB = os.environ.get('DCMANAGER_TEST_POSTGRESQL_INITDB', '/usr/lib/postgresql/*/bin/initdb')


class NotInstalled(Exception):
    """The server's binaries are not on this machine."""


class ServiceError(RuntimeError):
    """A server did not start (or stop) in time; the message ends with its log's tail."""


# ---------------------------------------------------------------- helpers

def free_port():
    """A TCP port that nothing listens on at 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _port_open(port):
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def _tail(path, lines=40):
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError as e:
        return '(no log: %s)' % e


def _fail(what, logs):
    text = ['%s' % what]
    for log in logs:
        text.append('--- last lines of %s ---\n%s' % (log, _tail(log)))
    raise ServiceError('\n'.join(text))


def _wait_until(ready, what, logs, timeout=None, proc=None):
    """Poll ``ready()`` until true; ServiceError with the logs' tails on timeout or child exit."""
    timeout = START_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + timeout
    while not ready():
        if proc is not None and proc.poll() is not None:
            _fail('%s: process %d exited with %s' % (what, proc.pid, proc.returncode), logs)
        if time.monotonic() > deadline:
            _fail('%s: not ready after %d s' % (what, timeout), logs)
        time.sleep(0.2)


def _alive(pid):
    """Whether ``pid`` is a running (not zombie) process."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_pid(pid, timeout=None):
    """SIGTERM ``pid``, then SIGKILL if it is still alive after ``timeout`` s."""
    timeout = STOP_TIMEOUT if timeout is None else timeout
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
        if not _alive(pid):
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)


def _stop_child(proc, timeout=None):
    """Stop a child we spawned (by its pid) and reap it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT if timeout is None else timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _read_pid(path):
    try:
        with open(path) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


class _Pids:
    """Records every started pid in ``<workdir>/pids`` (one ``name pid`` per line)."""

    def __init__(self, workdir):
        self.path = os.path.join(workdir, 'pids')

    def add(self, name, pid):
        with open(self.path, 'a') as f:
            f.write('%s %d\n' % (name, pid))


def _run(cmd, log, timeout, what, logs=(), **kw):
    """Run a short command with its output appended to ``log``; ServiceError if it fails."""
    with open(log, 'ab') as out:
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=timeout, check=False, **kw)
        except subprocess.TimeoutExpired:
            _fail('%s: %s timed out after %d s' % (what, cmd[0], timeout), [log, *logs])
    if proc.returncode != 0:
        _fail('%s: %s exited with %d' % (what, shlex.join(cmd), proc.returncode), [log, *logs])


# ---------------------------------------------------------------- PostgreSQL

def _pg_bindir():
    def version(initdb):  # /usr/lib/postgresql/<version>/bin/initdb
        name = os.path.basename(os.path.dirname(os.path.dirname(initdb)))
        return [int(x) if x.isdigit() else 0 for x in name.split('.')]

    found = sorted(glob.glob(PG_GLOB), key=version)
    if not found:
        raise NotInstalled('PostgreSQL server not installed (no %s)' % PG_GLOB)
    return os.path.dirname(found[-1])


@contextlib.contextmanager
def postgresql(workdir, dbname='dcmanager', durable=False):
    """A PostgreSQL server on 127.0.0.1 with an empty database; yields its SQLAlchemy URL.

    Tests run it without fsync and synchronous commits (nothing there must survive a power
    cut); ``durable`` keeps PostgreSQL's own defaults, as a benchmark should.
    """
    bindir = _pg_bindir()
    workdir = str(workdir)
    os.makedirs(workdir, exist_ok=True)
    pids = _Pids(workdir)
    client_log = os.path.join(workdir, 'commands.log')

    if os.geteuid() == 0:
        # initdb refuses to run as root: the cluster belongs to ``postgres``, in a directory that
        # user can reach (pytest's own tmp dirs are 0700 root).
        try:
            owner = pwd.getpwnam('postgres')
        except KeyError:
            raise NotInstalled('PostgreSQL installed but there is no postgres user') from None
        base = tempfile.mkdtemp(prefix='dcmanager-pg-')
        os.chown(base, owner.pw_uid, owner.pw_gid)
        as_owner = ['runuser', '-u', 'postgres', '--']
        remove_base = True
    else:
        base = workdir
        as_owner = []
        remove_base = False
    datadir = os.path.join(base, 'data')
    server_log = os.path.join(base, 'server.log')
    port = free_port()
    postmaster_pid = None
    try:
        _run(as_owner + [os.path.join(bindir, 'initdb'), '-D', datadir, '-A', 'trust',
                         '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions'],
             client_log, START_TIMEOUT, 'initdb', cwd=base)
        opts = '-c listen_addresses=%s -p %d -k %s' % (HOST, port, shlex.quote(base))
        if not durable:
            opts += ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off'
        try:
            _run(as_owner + [os.path.join(bindir, 'pg_ctl'), '-D', datadir, '-l', server_log,
                             '-o', opts, '-w', '-t', str(int(START_TIMEOUT)), 'start'],
                 client_log, START_TIMEOUT + 10, 'PostgreSQL start', [server_log], cwd=base)
        finally:
            postmaster_pid = _read_pid(os.path.join(datadir, 'postmaster.pid'))
            if postmaster_pid:
                pids.add('postgres', postmaster_pid)
        _wait_until(lambda: _port_open(port), 'PostgreSQL on %s:%d' % (HOST, port),
                    [server_log])
        env = dict(os.environ, PGCONNECT_TIMEOUT='10')
        _run([os.path.join(bindir, 'createdb'), '-h', HOST, '-p', str(port), '-U', 'postgres',
              dbname], client_log, 60, 'createdb', [server_log], env=env)
        yield 'postgresql+psycopg://postgres@%s:%d/%s' % (HOST, port, dbname)
    finally:
        if postmaster_pid and _alive(postmaster_pid):
            with contextlib.suppress(ServiceError):
                _run(as_owner + [os.path.join(bindir, 'pg_ctl'), '-D', datadir, '-m', 'fast',
                                 '-w', '-t', str(STOP_TIMEOUT), 'stop'],
                     client_log, STOP_TIMEOUT + 10, 'PostgreSQL stop', cwd=base)
            _stop_pid(postmaster_pid)
        if remove_base:
            with contextlib.suppress(OSError):
                shutil.copy(server_log, os.path.join(workdir, 'server.log'))
            shutil.rmtree(base, ignore_errors=True)


# ---------------------------------------------------------------- RabbitMQ

def _epmd_binary():
    epmd = shutil.which('epmd') or next(iter(glob.glob('/usr/lib/erlang/erts-*/bin/epmd')), None)
    if not epmd:
        raise NotInstalled('Erlang epmd not found')
    return epmd


@contextlib.contextmanager
def rabbitmq(workdir):
    """A RabbitMQ broker (and its own epmd) on 127.0.0.1; yields its ``rabbit://`` URL."""
    server = os.path.join(RABBITMQ_BIN, 'rabbitmq-server')
    ctl = os.path.join(RABBITMQ_BIN, 'rabbitmqctl')
    if not (os.access(server, os.X_OK) and os.access(ctl, os.X_OK)):
        raise NotInstalled('RabbitMQ server not installed (no %s)' % server)
    epmd = _epmd_binary()
    workdir = str(workdir)
    os.makedirs(workdir, exist_ok=True)
    pids = _Pids(workdir)
    amqp_port, dist_port, epmd_port = free_port(), free_port(), free_port()
    while len({amqp_port, dist_port, epmd_port}) < 3:
        dist_port, epmd_port = free_port(), free_port()

    conf = os.path.join(workdir, 'rabbitmq.conf')
    with open(conf, 'w') as f:
        # listeners.tcp.default would bind every interface: name the address.
        f.write('listeners.tcp.1 = %s:%d\n' % (HOST, amqp_port))
        f.write('loopback_users.guest = true\nlog.console = false\n')
    plugins = os.path.join(workdir, 'enabled_plugins')
    with open(plugins, 'w') as f:
        f.write('[].\n')
    env_file = os.path.join(workdir, 'rabbitmq-env.conf')
    open(env_file, 'w').close()
    loopback_dist = '-kernel inet_dist_use_interface {127,0,0,1}'
    env = dict(
        os.environ,
        HOME=workdir,  # the Erlang cookie lives here, for the server and rabbitmqctl alike
        RABBITMQ_NODENAME='rabbit@localhost',
        RABBITMQ_NODE_IP_ADDRESS=HOST,
        RABBITMQ_NODE_PORT=str(amqp_port),
        RABBITMQ_DIST_PORT=str(dist_port),
        ERL_EPMD_ADDRESS=HOST,
        ERL_EPMD_PORT=str(epmd_port),
        RABBITMQ_CONF_ENV_FILE=env_file,
        RABBITMQ_CONFIG_FILE=conf,
        RABBITMQ_ADVANCED_CONFIG_FILE=os.path.join(workdir, 'advanced.config'),
        RABBITMQ_ENABLED_PLUGINS_FILE=plugins,
        RABBITMQ_MNESIA_BASE=os.path.join(workdir, 'mnesia'),
        RABBITMQ_LOG_BASE=os.path.join(workdir, 'log'),
        RABBITMQ_PID_FILE=os.path.join(workdir, 'rabbit.pid'),
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=loopback_dist,
        RABBITMQ_CTL_ERL_ARGS=loopback_dist,
    )
    env.pop('RABBITMQ_ALLOW_INPUT', None)
    server_out = os.path.join(workdir, 'server.out')
    server_log = os.path.join(workdir, 'log', 'rabbit@localhost.log')
    logs = [server_out, server_log]
    ctl_log = os.path.join(workdir, 'commands.log')

    epmd_proc = server_proc = None
    beam_pid = None
    try:
        # Our own epmd, so that it is on loopback, on a free port, and has a pid we own.
        with open(os.path.join(workdir, 'epmd.log'), 'ab') as out:
            epmd_proc = subprocess.Popen([epmd, '-address', HOST, '-port', str(epmd_port)],
                                         stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, env=env, cwd=workdir,
                                         start_new_session=True)
        pids.add('epmd', epmd_proc.pid)
        _wait_until(lambda: _port_open(epmd_port), 'epmd on %s:%d' % (HOST, epmd_port),
                    [os.path.join(workdir, 'epmd.log')], timeout=30, proc=epmd_proc)

        # Not -detached: the script stays our child and forwards SIGTERM to the VM.
        with open(server_out, 'ab') as out:
            server_proc = subprocess.Popen([server], stdin=subprocess.DEVNULL, stdout=out,
                                           stderr=subprocess.STDOUT, env=env, cwd=workdir,
                                           start_new_session=True)
        pids.add('rabbitmq-server', server_proc.pid)
        _wait_until(lambda: _port_open(amqp_port), 'RabbitMQ on %s:%d' % (HOST, amqp_port),
                    logs, proc=server_proc)
        beam_pid = _read_pid(env['RABBITMQ_PID_FILE'])
        if beam_pid:
            pids.add('beam', beam_pid)
        _run([ctl, '-q', 'await_startup', '--timeout', str(int(START_TIMEOUT))], ctl_log,
             START_TIMEOUT + 30, 'RabbitMQ await_startup', logs, env=env, cwd=workdir)
        yield 'rabbit://guest:guest@%s:%d/' % (HOST, amqp_port)
    finally:
        if server_proc is not None:
            if beam_pid is None:
                beam_pid = _read_pid(env['RABBITMQ_PID_FILE'])
            if server_proc.poll() is None:
                with contextlib.suppress(ServiceError):
                    _run([ctl, '-q', 'shutdown'], ctl_log, STOP_TIMEOUT + 30,
                         'RabbitMQ shutdown', env=env, cwd=workdir)
            with contextlib.suppress(subprocess.TimeoutExpired):
                server_proc.wait(STOP_TIMEOUT)
            _stop_child(server_proc)
            if beam_pid:
                _stop_pid(beam_pid)
        if epmd_proc is not None:
            _stop_child(epmd_proc)
