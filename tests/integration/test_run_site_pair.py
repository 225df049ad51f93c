"""``tools/run-site --pair``, for real: the script itself on free ports with a fleet of three, the
system peers it makes both ways, and the README's walk-through ("Two sites on one machine") run
block by block with bash as written (only the path of ``demo.env`` differs): three subclouds
added on A, a peer group associated with B and in sync on both sites with both peers available,
then migrated to B, which leads it. Stopped by its pid, every process it started is gone.

The venv is the one running the tests (``RUN_SITE_VENV``): nothing is installed.
"""

import os
import pathlib
import re
import signal
import subprocess
import sys

import pytest
import requests

from dcmanager.simulator import addresses
from tests import waiting
from tests.integration import sim_fixture
from tests.services import free_port

pytestmark = pytest.mark.keystone

ROOT = pathlib.Path(__file__).resolve().parents[2]
COUNT = 3
README_ENV = '~/.local/share/dcmanager-pair/demo.env'
# The README's bash blocks of the section, in order: look, add, list, group, associate,
# in-sync, migrate, B leads.
BLOCKS = 8
START_WITHIN = 240
HTTP = requests.Session()
HTTP.trust_env = False


def readme_blocks():
    text = (ROOT / 'README.md').read_text()
    section = text.split('\n## Two sites on one machine', 1)[1].split('\n## ', 1)[0]
    return re.findall(r'```bash\n(.*?)```', section, re.DOTALL)


def _wait(what, check, timeout=90.0):
    return waiting.until(what, check, timeout, interval=0.5)


def _descendants(pid):
    """The pids of ``pid``'s live descendants (from /proc)."""
    children = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/stat' % entry) as f:
                    ppid = int(f.read().rsplit(')', 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _gone(pid):
    """No such process any more (or only its exit status, waiting to be reaped)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] == 'Z'
    except OSError:
        return True


class Pair:
    def __init__(self, state_dir, out):
        self.state_dir = state_dir
        self.out = out
        self.env_file = state_dir / 'demo.env'
        values = dict(re.findall(r'(\w+)=(\S+)', self.env_file.read_text()))
        self.url = {s: values['SITE_' + s] for s in 'AB'}
        self.token = {s: values['TOKEN_' + s] for s in 'AB'}

    def get(self, site, path):
        resp = HTTP.get(self.url[site] + '/v1.0/' + path, timeout=30,
                        headers={'X-Auth-Token': self.token[site]})
        assert resp.status_code == 200, resp.text
        return resp.json()

    def run(self, block):
        """One README block with bash, after ``demo.env``: its output."""
        script = 'set -eo pipefail\nsource %s\n%s' % (
            self.env_file, block.replace(README_ENV, str(self.env_file)))
        done = subprocess.run(['bash', '-c', script], capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, (block, done.stdout, done.stderr)
        return done.stdout


@pytest.fixture
def pair(tmp_path):
    state_dir = tmp_path / 'pair'
    fleet = addresses.fleet('127.0.1.1', COUNT)
    identity, agent = sim_fixture.free_ports(fleet)
    env = dict(os.environ, RUN_SITE_VENV=sys.prefix, PAIR_STATE_DIR=str(state_dir),
               SITE_A_PORT=str(free_port()), SITE_B_PORT=str(free_port()),
               KEYSTONE_A_PORT=str(free_port()), KEYSTONE_B_PORT=str(free_port()),
               SIM_COUNT=str(COUNT), SIM_CONTROL_PORT=str(free_port()),
               SIM_IDENTITY_PORT=str(identity), SIM_AGENT_PORT=str(agent),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                        os.environ.get('PYTHONPATH')])))
    out = tmp_path / 'run-site.out'
    with open(out, 'wb') as log:
        proc = subprocess.Popen(['bash', str(ROOT / 'tools' / 'run-site'), '--pair'],
                                cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    started = []
    try:
        # site_pair.py's last line at start (the simulator's line starts 'simulator: READY')
        _wait('READY', lambda: proc.poll() is not None or '\nREADY\n' in out.read_text(),
              timeout=START_WITHIN)
        assert proc.poll() is None, out.read_text()
        started = _descendants(proc.pid)
        yield Pair(state_dir, out.read_text())
    finally:
        started = started or _descendants(proc.pid)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(90)
        finally:
            left = [pid for pid in started if not _gone(pid)]
            for pid in left:
                os.kill(pid, signal.SIGKILL)
    assert proc.returncode in (0, 143), out.read_text()
    assert len(started) >= 1 + 1 + 4, started  # the simulator, site_pair, 2 Keystones, 2 sites
    assert left == [], 'still running after run-site stopped: %s' % left


def _subclouds(pair, site, path='subclouds'):
    return {s['name']: s for s in pair.get(site, path)['subclouds']}


def test_readme_walk_through_on_run_site_pair(pair):
    blocks = readme_blocks()
    assert len(blocks) == BLOCKS, blocks
    for mode in ('demo.env', 'site-a/openrc', 'site-b/openrc'):
        assert (pair.state_dir / mode).stat().st_mode & 0o777 == 0o600
    a_uuid = (pair.state_dir / 'site-a' / 'system-uuid').read_text().strip()
    b_uuid = (pair.state_dir / 'site-b' / 'system-uuid').read_text().strip()
    peer_b = pair.get('A', 'system-peers/site-b')
    peer_a = pair.get('B', 'system-peers/site-a')
    assert (peer_b['peer-uuid'], peer_a['peer-uuid']) == (b_uuid, a_uuid)
    assert peer_b['manager-username'] == peer_a['manager-username'] == 'dc-peer'
    assert 'manager_password' not in peer_b and 'manager-password' not in peer_b
    pair.run(blocks[0])
    assert 'subcloud3 pre-enroll' in pair.run(blocks[1])
    _wait('the subclouds online on A', lambda: all(
        (s['deploy-status'], s['availability-status']) == ('complete', 'online')
        for s in _subclouds(pair, 'A').values()) and len(_subclouds(pair, 'A')) == COUNT)
    pair.run(blocks[2])
    assert 'subcloud3 managed 1' in pair.run(blocks[3])
    pair.run(blocks[4])
    _wait('in-sync on both sites, the peers available', lambda: all(
        [x['sync-status'] for x in pair.get(s, 'peer-group-associations')[
            'peer_group_associations']] == ['in-sync'] and
        [p['availability-state'] for p in pair.get(s, 'system-peers')['system_peers']] ==
        ['available'] for s in 'AB'))
    shown = pair.run(blocks[5])
    for line in ('A primary in-sync', 'B non-primary in-sync', 'A peer site-b available',
                 'B peer site-a available'):
        assert line in shown, shown
    assert 'subcloud1 secondary' in pair.run(blocks[6])
    _wait('the migration complete, B managing the subclouds', lambda: (
        pair.get('B', 'subcloud-peer-groups/pg1')['migration_status'] == 'complete' and all(
            (s['deploy-status'], s['management-state']) == ('complete', 'managed')
            for s in _subclouds(pair, 'B', 'subcloud-peer-groups/pg1/subclouds').values())))
    _wait('A stepped down', lambda: all(
        s['deploy-status'] == 'secondary'
        for s in _subclouds(pair, 'A', 'subcloud-peer-groups/pg1/subclouds').values()))
    shown = pair.run(blocks[7])
    assert 'site-b 2 complete' in shown and '280.005' in shown, shown
    for site in 'AB':
        assert pair.get(site, 'subcloud-peer-groups/pg1')['system_leader_id'] == b_uuid
