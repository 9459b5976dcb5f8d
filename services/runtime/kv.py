"""NATS KV buckets shared between services (presence, load): open or create, read the TTL."""

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError
from nats.js.kv import KeyValue


async def open_bucket(js: JetStreamContext, name: str, ttl: float | None = None) -> KeyValue:
    """The bucket `name`, created with `ttl` (seconds) when it does not exist yet."""
    try:
        return await js.key_value(name)
    except BucketNotFoundError:
        config = KeyValueConfig(bucket=name, ttl=ttl, history=1, storage=StorageType.FILE)
        try:
            return await js.create_key_value(config)
        except Exception:  # another service created it in between
            return await js.key_value(name)


async def bucket_ttl(js: JetStreamContext, name: str) -> float | None:
    """The TTL the bucket was created with: whoever created it first decided, and it counts."""
    info = await js.stream_info(f"KV_{name}")
    return info.config.max_age or None
