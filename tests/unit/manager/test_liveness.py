"""The liveness options: a manager is dead only after more than one heartbeat interval."""

from oslo_config import cfg
import pytest

from dcmanager.common import exception
from dcmanager.conf import manager as manager_conf
from dcmanager.manager import liveness


def _conf(**overrides):
    conf = cfg.ConfigOpts()
    manager_conf.register_opts(conf)
    conf([], project='dcmanager', default_config_files=[])
    for name, value in overrides.items():
        conf.set_override(name, value, group='manager')
    return conf


def test_the_defaults_are_accepted():
    conf = _conf()
    assert (conf.manager.heartbeat_interval, conf.manager.service_down_time) == (10, 60)
    liveness.check_config(conf)


@pytest.mark.parametrize('interval, down_time', [(10, 10), (30, 20)])
def test_a_down_time_not_longer_than_a_heartbeat_is_refused(interval, down_time):
    conf = _conf(heartbeat_interval=interval, service_down_time=down_time)
    with pytest.raises(exception.DCManagerException) as error:
        liveness.check_config(conf)
    assert ('[manager] service_down_time (%d s) must be greater than [manager] '
            'heartbeat_interval (%d s)' % (down_time, interval)) in str(error.value)


def test_one_second_more_is_enough():
    liveness.check_config(_conf(heartbeat_interval=10, service_down_time=11))
