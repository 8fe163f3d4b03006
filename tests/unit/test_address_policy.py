"""Address classification, as pure functions: no test ever connects to these ranges."""

import pytest

from ingest.http import AddressPolicy, is_public_address


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.3.4.5",
        "::1",  # loopback
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "fd00::1",  # private
        "169.254.169.254",
        "fe80::1",  # link-local, cloud metadata
        "224.0.0.1",
        "ff02::1",  # multicast
        "0.0.0.0",
        "::",  # unspecified
        "::ffff:127.0.0.1",
        "::ffff:10.1.2.3",
        "::ffff:169.254.169.254",  # IPv4-mapped IPv6
        "100.64.0.1",  # carrier-grade NAT
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public_address(address)
    assert not AddressPolicy(allow_private=False, allow_hosts=[]).permits("news.example", 443, address)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:8.8.8.8"]
)
def test_public_addresses(address: str) -> None:
    assert is_public_address(address)


def test_allow_hosts_by_host_or_host_and_port() -> None:
    policy = AddressPolicy(allow_private=False, allow_hosts=["intranet.local", "127.0.0.1:8765"])
    assert policy.permits("intranet.local", 80, "10.0.0.5")
    assert policy.permits("127.0.0.1", 8765, "127.0.0.1")
    assert not policy.permits("127.0.0.1", 8766, "127.0.0.1")


def test_allow_private_addresses_permits_everything() -> None:
    assert AddressPolicy(allow_private=True, allow_hosts=[]).permits("x", 1, "169.254.169.254")


def test_ipv6_forms_that_carry_or_reach_an_ipv4_address_are_judged_by_it_or_refused() -> None:
    from ingest.http import is_public_address

    # NAT64 and 6to4 carry an IPv4 address: judged as it.
    assert not is_public_address("64:ff9b::7f00:1")  # 127.0.0.1 through a NAT64 gateway
    assert not is_public_address("64:ff9b::a9fe:a9fe")  # 169.254.169.254, the metadata address
    assert is_public_address("64:ff9b::808:808")  # 8.8.8.8
    assert not is_public_address("2002:7f00:1::1")  # 6to4 of 127.0.0.1
    # IPv4-compatible, IPv4-translated, local-use NAT64, site-local and Teredo: never public.
    for address in ("::7f00:1", "::8.8.8.8", "::ffff:0:808:808", "64:ff9b:1::808:808", "fec0::1", "2001::1"):
        assert not is_public_address(address), address
    assert is_public_address("2606:4700:4700::1111")
    assert not is_public_address("not an address")
