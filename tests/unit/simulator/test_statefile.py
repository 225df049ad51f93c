"""The state file: a round trip of settings, keys and rehome state; other entries are preserved."""

import asyncio
import json

import pytest

from dcmanager.simulator import addresses, fleet, settings, statefile


def _fleet(path, count):
    return fleet.Fleet(addresses.fleet('127.0.5.1', count), 1, 2, settings.defaults(), str(path))


def test_round_trip_and_entries_outside_the_fleet_are_kept(tmp_path):
    path = tmp_path / 'state.json'
    first = _fleet(path, 3)
    sc = first.subclouds[0]
    sc.keys.rotate(keep=1)
    sc.settings.update(settings.validate({'status': 503, 'major_alarms': 2}))
    sc.state = 'down'
    first.subclouds[2].rehome.load({'state': 'rehomed', 'system_controller': {'address': 'x'}})
    first.state.write()

    smaller = _fleet(path, 2)
    assert smaller.load_state() == 2
    restored = smaller.subclouds[0]
    assert restored.keys.keys == sc.keys.keys
    assert (restored.settings['status'], restored.settings['major_alarms']) == (503, 2)
    assert restored.state == 'down'
    smaller.state.write()
    saved = json.loads(path.read_text())['subclouds']
    assert saved['127.0.5.3']['rehome']['state'] == 'rehomed'  # not in the smaller fleet: kept
    assert not list(tmp_path.glob('*.tmp.*'))


def test_debounced_writes_happen_in_the_background(tmp_path):
    path = tmp_path / 'state.json'

    async def go():
        f = _fleet(path, 2)
        f.subclouds[1].update({'warnings': 5})
        f.subclouds[1].rotate_keys()
        assert not path.exists()
        await asyncio.sleep(0.6)
        return json.loads(path.read_text())['subclouds']['127.0.5.2']

    saved = asyncio.run(go())
    assert saved['settings']['warnings'] == 5 and [k['id'] for k in saved['keys']] == [2]


@pytest.mark.parametrize('text', ['not json', '[]', '{"format": "other"}',
                                  '{"format": "dcmanager-subcloud-sim/1", "subclouds": '
                                  '{"127.0.5.1": {"settings": {"delay": -1}}}}'])
def test_a_broken_state_file_is_refused(tmp_path, text):
    path = tmp_path / 'state.json'
    path.write_text(text)
    with pytest.raises(statefile.StateFileError):
        _fleet(path, 1).load_state()
