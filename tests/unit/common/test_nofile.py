"""dcmanager.common.nofile and the simulator's open-file budget.

Each case runs in a child interpreter that first lowers its own limits, so the test process's
limits never change. A lowered hard limit can be raised again only by a privileged process
(CAP_SYS_RESOURCE, which root in a container may lack): the cases say what each kind of
process gets.
"""

import json
import subprocess
import sys
import textwrap


def _may_raise_the_hard_limit():
    """Whether a process here may raise its hard limit (probed in a child)."""
    probe = subprocess.run([sys.executable, '-c', textwrap.dedent('''
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, hard - 1), hard - 1))
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, hard - 1), hard))
    ''')], capture_output=True, timeout=60)
    return probe.returncode == 0


PRIVILEGED = _may_raise_the_hard_limit()


def _limits_after(soft, hard, code):
    """(soft, hard) of a child that set its limits to (soft, hard), then ran ``code``; or the
    child's error message when ``code`` raised."""
    script = textwrap.dedent('''
        import json, resource, sys
        resource.setrlimit(resource.RLIMIT_NOFILE, (%d, %d))
        try:
            %s
        except Exception as e:
            print(json.dumps({'error': str(e)}))
            sys.exit(0)
        print(json.dumps({'limits': resource.getrlimit(resource.RLIMIT_NOFILE)}))
    ''') % (soft, hard, code)
    done = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                          timeout=60, check=True)
    answer = json.loads(done.stdout)
    return answer.get('error') or tuple(answer['limits'])


def _nr_open():
    with open('/proc/sys/fs/nr_open') as f:
        return int(f.read())


def test_the_soft_limit_rises_to_what_is_wanted_below_the_hard_limit():
    assert _limits_after(1000, 5000, '''
            from dcmanager.common import nofile; nofile.raise_limit(3000)''') == (3000, 5000)


def test_a_hard_limit_below_the_need_is_raised_where_the_process_may():
    got = _limits_after(2000, 5000, '''
            from dcmanager.common import nofile; nofile.raise_limit(6000)''')
    assert got == ((6000, 6000) if PRIVILEGED else (5000, 5000))


def test_the_hard_limit_never_goes_above_fs_nr_open():
    ceiling = _nr_open()
    got = _limits_after(2000, 5000, '''
            from dcmanager.common import nofile; nofile.raise_limit(%d)''' % (ceiling + 10))
    assert got == ((ceiling, ceiling) if PRIVILEGED else (5000, 5000))


def test_the_services_raise_their_hard_limit_too():
    got = _limits_after(1000, 2000, '''
            from dcmanager.cmd import common; common.raise_nofile_limit(4000)''')
    assert got == ((4000, 4000) if PRIVILEGED else (2000, 2000))


def test_the_simulator_gets_what_its_fleet_needs_or_says_why_not():
    """10,000 subclouds need 21,024 descriptors: above a hard limit of 20,000 (these machines'),
    which the simulator, started as root, raises; unprivileged, it refuses with the reason."""
    got = _limits_after(1024, 20000, '''
            from dcmanager.simulator import limits; limits.raise_nofile(10000)''')
    if PRIVILEGED:
        assert got == (21024, 21024)
    else:
        assert 'the hard open-file limit (RLIMIT_NOFILE) is 20000' in got
        assert 'need at least 21024' in got
