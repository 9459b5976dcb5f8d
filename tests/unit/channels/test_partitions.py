"""Outbound partitions, the pure parts: which partition a chat's replies go to, how many each
replica holds, and that the production NATS config lets every adapter run its partitions."""

import re
from collections import Counter
from pathlib import Path
from typing import get_args

import pytest

from channels._adapter.outbound import _partition
from channels._adapter.partitions import preference, replica_name, share
from contracts import streams, subjects
from contracts.channels import Channel

CONFIG = Path(__file__).parents[3] / "deploy" / "nats" / "relaydesk.conf"
N = streams.OUTBOUND_PARTITIONS


def test_every_reply_to_one_chat_goes_to_the_same_partition() -> None:
    first = subjects.outbound_chat("email", "support", "<a1@mail.example>", N)

    again = subjects.outbound_chat("email", "support", "<a1@mail.example>", N)

    assert first == again and first.startswith("outbound.email.")


def test_chats_spread_over_every_partition() -> None:
    counts = Counter(subjects.partition_of("bot", str(chat), N) for chat in range(8_000))

    assert set(counts) == set(range(N))
    assert max(counts.values()) < 1.2 * min(counts.values())


def test_the_same_chat_id_on_two_accounts_may_go_to_different_partitions() -> None:
    spread = {subjects.partition_of(f"bot{n}", "42", N) for n in range(50)}

    assert len(spread) > 1


def test_the_partition_is_read_back_from_the_subject() -> None:
    assert _partition(subjects.outbound_partition("vk", 5)) == 5
    assert _partition(subjects.outbound("vk")) == -1


def test_the_share_covers_every_partition() -> None:
    assert [share(8, replicas) for replicas in (1, 2, 3, 8, 20)] == [8, 4, 3, 1, 1]


def test_each_replica_tries_every_partition_once_from_its_own_start() -> None:
    orders = [preference(f"replica-{n}", N) for n in range(20)]

    assert all(sorted(order) == list(range(N)) for order in orders)
    assert len({order[0] for order in orders}) > 1


def test_the_nats_config_lets_each_adapter_run_each_of_its_partitions() -> None:
    config = CONFIG.read_text()

    missing = [
        f"{channel}-p{n}"
        for channel in get_args(Channel)
        for n in range(N)
        if f'"$JS.ACK.OUTBOUND.adapter-{channel}-p{n}.>"' not in config
        or f'"$JS.API.CONSUMER.*.OUTBOUND.adapter-{channel}-p{n}.>"' not in config
    ]
    assert missing == []


KV_KEY = re.compile(r"^[-/_=.a-zA-Z0-9]+$")  # what NATS accepts as a KV key


def test_a_replica_with_a_fixed_port_keeps_its_name_and_the_name_is_a_valid_kv_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RELAYDESK_TELEGRAM_PORT", "8082")

    name = replica_name("telegram")

    assert name == replica_name("telegram") and name.endswith("-port-8082")
    assert KV_KEY.match(f"replica.{name}")


def test_a_replica_on_any_free_port_gets_a_name_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RELAYDESK_VK_PORT", "0")

    assert replica_name("vk") != replica_name("vk")
    assert KV_KEY.match(f"replica.{replica_name('vk')}")
