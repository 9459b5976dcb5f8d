"""NATS KV buckets shared between services (presence, load, delivery records): open or create,
read the TTL. A bucket has as many replicas as the desk's streams (`RELAYDESK_JS_REPLICAS`,
which every service applies to INBOUND at start), so on a cluster the record that makes a
delivery exactly-once survives the loss of a node like the messages do."""

from dataclasses import replace

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyWrongLastSequenceError, NotFoundError
from nats.js.kv import KeyValue

from contracts import streams


async def desk_replicas(js: JetStreamContext) -> int:
    """The replicas the desk's streams run at (1 before any service provisioned them)."""
    try:
        return (await js.stream_info(streams.INBOUND.name)).config.num_replicas or 1
    except NotFoundError:
        return 1


async def open_bucket(js: JetStreamContext, name: str, ttl: float | None = None) -> KeyValue:
    """The bucket `name`, created with `ttl` (seconds) when it does not exist yet, and
    brought to the desk's replicas in place when it has fewer or more."""
    replicas = await desk_replicas(js)
    try:
        bucket = await js.key_value(name)
    except BucketNotFoundError:
        config = KeyValueConfig(
            bucket=name, ttl=ttl, history=1, storage=StorageType.FILE, replicas=replicas
        )
        try:
            return await js.create_key_value(config)
        except Exception:  # another service created it in between
            return await js.key_value(name)
    stream = (await js.stream_info(f"KV_{name}")).config
    if (stream.num_replicas or 1) != replicas:
        await js.update_stream(replace(stream, num_replicas=replicas))
    return bucket


async def bucket_ttl(js: JetStreamContext, name: str) -> float | None:
    """The TTL the bucket was created with: whoever created it first decided, and it counts."""
    info = await js.stream_info(f"KV_{name}")
    return info.config.max_age or None


def lost_race(error: Exception) -> bool:
    """Another writer came first: a wrong last sequence, or `create` of an existing key
    (nats-py reports the latter as an APIError with the server's words)."""
    if isinstance(error, KeyWrongLastSequenceError):
        return True
    text = str(error).lower()
    return "wrong last sequence" in text or "key exists" in text
