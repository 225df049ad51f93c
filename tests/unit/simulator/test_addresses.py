"""Address arithmetic of the fleet: skipping .0/.255, rolling over /24s, loopback only."""

import pytest

from dcmanager.simulator import addresses


def test_first_block_then_rollover_skipping_0_and_255():
    fleet = addresses.fleet('127.0.1.1', 300)
    assert fleet[:2] == ['127.0.1.1', '127.0.1.2']
    assert fleet[253] == '127.0.1.254'
    assert fleet[254] == '127.0.2.1'
    assert fleet[299] == '127.0.2.46'
    assert not [a for a in fleet if a.endswith(('.0', '.255'))]
    assert len(set(fleet)) == 300


def test_start_in_the_middle_of_a_block():
    assert addresses.nth('127.0.1.250', 4) == addresses.loopback('127.0.1.254')
    assert str(addresses.nth('127.0.1.250', 5)) == '127.0.2.1'
    assert str(addresses.nth('127.0.255.254', 1)) == '127.1.0.1'


def test_5000_subclouds_fit_from_the_default_first_address():
    fleet = addresses.fleet('127.0.1.1', 5000)
    assert fleet[-1] == '127.0.20.174'  # 19 full blocks of 254, then 174


@pytest.mark.parametrize('address', ['10.0.0.1', '0.0.0.0', '192.168.1.1', '::1', 'localhost',
                                     '128.0.0.1', '127.0.0.256'])
def test_refuses_anything_but_loopback(address):
    with pytest.raises(addresses.AddressError):
        addresses.fleet(address, 1)


@pytest.mark.parametrize('address', ['127.0.1.0', '127.0.1.255'])
def test_refuses_network_and_broadcast_as_first(address):
    with pytest.raises(addresses.AddressError, match='must not end'):
        addresses.fleet(address, 1)


def test_refuses_a_range_leaving_127_0_0_0_8():
    assert addresses.fleet('127.255.255.250', 5)[-1] == '127.255.255.254'
    with pytest.raises(addresses.AddressError, match='outside'):
        addresses.fleet('127.255.255.250', 6)


def test_refuses_an_empty_fleet():
    with pytest.raises(addresses.AddressError):
        addresses.fleet('127.0.1.1', 0)


def test_region_name_is_32_hex_and_stable_per_address():
    region = addresses.region_name('127.0.1.1')
    assert len(region) == 32 and int(region, 16) >= 0
    assert region == addresses.region_name('127.0.1.1')
    assert region != addresses.region_name('127.0.1.2')
    assert addresses.stable_id('127.0.1.1', 'user') != addresses.stable_id('127.0.1.1', 'project')
