"""Who may read `/metrics`. Pure."""

from pydantic import SecretStr

from services.runtime.http import metrics_allowed

TOKEN = SecretStr("s3cret-metrics")


def test_without_a_token_only_this_machine_reads_the_metrics() -> None:
    assert metrics_allowed("127.0.0.1", "", None)
    assert metrics_allowed("::1", "", None)
    assert not metrics_allowed("10.1.2.3", "", None)
    assert not metrics_allowed("", "", None)


def test_with_a_token_only_its_bearer_reads_them_wherever_they_are() -> None:
    assert metrics_allowed("10.1.2.3", "Bearer s3cret-metrics", TOKEN)
    assert not metrics_allowed("127.0.0.1", "", TOKEN)
    assert not metrics_allowed("127.0.0.1", "Bearer wrong", TOKEN)
