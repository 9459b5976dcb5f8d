"""Scale-out on one machine (tests/chaos/scale_out.py): two replicas each of the store, the
router, the Telegram and the web chat adapters, 6,000 Telegram updates in 15 s and forty web
chat visitors, one replica of each SIGKILLed mid-run. Each replica handles a share; nothing is
lost or doubled; replies to each chat arrive in the order they were written. `make chaos` runs
it with 20,000 updates in 30 s."""

import json
from pathlib import Path

import pytest

from tests.chaos.scale_out import REPLICATED, ScalePlan, run

pytestmark = pytest.mark.chaos


async def test_replicas_share_the_work_and_nothing_is_lost_doubled_or_reordered(
    tmp_path: Path,
) -> None:
    result = await run(ScalePlan(updates=6_000, seconds=15.0), tmp_path)
    print(json.dumps(result, ensure_ascii=False))

    assert result["stored"] == result["sent"] == 6_000 + 40 * 5
    assert (result["lost"], result["duplicates"], result["out_of_order"]) == (0, 0, [])
    # 30 Telegram chats and 40 visitors get 8 replies each; a POST the killed store replica
    # was handling goes unanswered and is not counted (not retried: that could send it twice)
    assert 0.8 * (30 + 40) * 8 <= result["replies_written"] <= (30 + 40) * 8
    # Failed: the replies the two killed adapter replicas had in hand (one at a time per
    # chat), reported uncertain, never sent twice. 0-4 on a quiet machine; 6 in a CI run
    # sharing the machine with a second desk.
    assert result["replies_unaccounted"] == 0 and result["replies_failed"] <= 10
    assert result["consumers_left"] == {}
    for service, count in REPLICATED.items():
        replicas = [service, *(f"{service}#{n}" for n in range(2, count + 1))]
        assert all(result["handled_per_replica"].get(r, 0) > 0 for r in replicas), (service, result)
