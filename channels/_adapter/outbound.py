"""Outbound: the replies of the outbound partitions this replica holds (partitions.py: one
replica per partition, so replies to one chat never cross between replicas), plus the shared
consumer on `outbound.<channel>` that drains what was published before partitioning; one
delivery at a time per chat (order kept) and many chats at once; retries with backoff or the
platform's `retry_after`; a `DeliveryReport` for every final outcome; and a record of
delivered ids.

Exactly once, or failed with a reason: before calling the platform the worker looks up the
outbound id in the `delivered-<channel>` KV bucket, and right after a successful call it
records it there, before the ack; so a message redelivered after a crash is skipped. A reply
sent in several parts (see capabilities.py) records each part but the last as
`part.<id>.<n>`, so it resumes at the first part not sent. Each call is preceded by a
`sending.<id>.<n>` mark. A redelivered message whose next part carries that mark and no
record was being sent when its worker died: the platform may or may not have it, and no
platform here can be asked. Sending again could write to the customer twice, so it is
reported failed with that reason and the agent decides; a platform idempotent on our id gets
the part again instead. A worker that is alive keeps what it sent in memory, so losing NATS
between the call and the record (a broker restart) never turns a sent message into a failed
or repeated one. The consumer and its retry policy are `services.runtime.consumer`'s.
"""

import asyncio
import contextlib
import logging
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import KeyDeletedError, KeyNotFoundError, NotFoundError
from nats.js.kv import KeyValue
from pydantic import ValidationError

from channels._adapter import partitions
from channels._adapter.capabilities import Capabilities, Part
from channels._adapter.delivery import DeliveryReporter
from channels._adapter.outcome import MAX_ATTEMPTS, Failed, Outcome, Retry, Sent, wait_before
from channels._adapter.ratelimit import TokenBucket
from contracts import streams
from contracts.channels import Channel
from contracts.messages import OutboundMessage
from services.runtime.consumer import consume_batches, dead_publisher, give_back, report_lag
from services.runtime.deadletter import dead_letter, describe
from services.runtime.kv import open_bucket
from services.runtime.metrics import CHANNEL_MESSAGES, DELIVERY_FAILURES, PLATFORM_CALLS

log = logging.getLogger("relaydesk.adapter")
Deliver = Callable[[OutboundMessage, Part], Awaitable[Outcome]]
DELIVERED_TTL = 7 * 24 * 3600.0
REMEMBERED = 20_000  # outbound ids this process sent, kept until recorded and acked
UNCERTAIN = (
    "delivery uncertain: the adapter stopped while sending it, so the customer may or may "
    "not have it; send it again if they did not"
)


class OutboundWorker:
    def __init__(
        self,
        js: JetStreamContext,
        channel: Channel,
        deliver: Deliver,
        capabilities: Capabilities | None = None,
        rate: float | None = None,
        burst: int = 1,
        lease_ttl: float = partitions.TTL,
        name: str | None = None,
    ) -> None:
        """`deliver` sends one part of a reply (see capabilities.py); `rate`: sends per
        second and account the platform allows (None: no limit); `lease_ttl`: how soon a
        dead replica's partitions pass to the others; `name`: this replica's name in the
        leases (default: its host and port, `partitions.replica_name`)."""
        self.js = js
        self.channel = channel
        self.deliver = deliver
        self.capabilities = capabilities or Capabilities()
        self.rate = rate
        self.burst = burst
        self.buckets: dict[str, TokenBucket] = {}
        self.chats: dict[tuple[str, str], deque[tuple[Msg, OutboundMessage]]] = {}
        self.tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self.delivered: KeyValue | None = None
        self.spec = streams.adapter_outbound(channel)
        self.pulling: asyncio.Task[None] | None = None
        self.lag: asyncio.Task[None] | None = None
        self.room = asyncio.Semaphore(self.spec.max_ack_pending)
        self.sent: OrderedDict[str, str | None] = OrderedDict()  # id -> platform's id
        self.reports = DeliveryReporter(js)
        self.dead = dead_publisher(js)
        self.me = name or partitions.replica_name(channel)
        self.partitions: dict[int, asyncio.Task[None]] = {}
        self.in_hand: Counter[int] = Counter()  # replies of each partition not yet finished
        self.replayed: dict[int, int] = {}  # partition -> last stream seq delivered before
        self.claims = partitions.Claims(
            js,
            channel,
            self.me,
            streams.OUTBOUND_PARTITIONS,
            partitions.Holder(self._take, self._leave, lambda n: self.in_hand[n] > 0),
            ttl=lease_ttl,
        )
        self.claiming: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.delivered = await open_bucket(self.js, f"delivered-{self.channel}", DELIVERED_TTL)
        subscribed = asyncio.Event()
        self.pulling = asyncio.create_task(
            consume_batches(
                self.js, self.spec, self._arrived, self.spec.max_ack_pending, subscribed
            )
        )
        waiting = asyncio.ensure_future(subscribed.wait())
        await asyncio.wait({self.pulling, waiting}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if self.pulling.done():  # it could not subscribe: say why
            self.pulling.result()
        self.claiming = asyncio.create_task(self.claims.run())
        specs = [self.spec, *(self._partition_spec(n) for n in range(self.claims.partitions))]
        self.lag = asyncio.create_task(report_lag(self.js, specs))

    async def stop(self) -> None:
        """Unacked messages simply come back to the next replica (or this one restarted)."""
        if self.claiming is not None:  # stops the partitions, frees the idle leases
            self.claims.close()
            try:
                await asyncio.wait_for(self.claiming, self.claims.ttl)
            except BaseException:  # NATS away: the leases expire instead
                log.warning("%s partitions not released in time", self.channel)
        for task in [self.pulling, self.lag, *self.tasks.values()]:
            if task:
                task.cancel()
        # The consumer unsubscribes as it ends: left subscribed, the connection's drain at
        # shutdown would wait out its whole timeout.
        if self.pulling is not None:
            with contextlib.suppress(BaseException):
                await self.pulling

    def _partition_spec(self, partition: int) -> streams.ConsumerSpec:
        return streams.adapter_partition(self.channel, partition)

    async def _take(self, partition: int) -> None:
        """Start on a partition just claimed: from its first unacked reply, in stream order."""
        spec = self._partition_spec(partition)
        with contextlib.suppress(NotFoundError):
            info = await self.js.consumer_info(spec.stream, spec.durable)
            self.replayed[partition] = info.delivered.stream_seq if info.delivered else 0
        subscribed = asyncio.Event()
        task = asyncio.create_task(
            consume_batches(
                self.js, spec, self._arrived, spec.max_ack_pending, subscribed, from_ack_floor=True
            )
        )
        self.partitions[partition] = task
        waiting = asyncio.ensure_future(subscribed.wait())
        await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if task.done():  # it could not subscribe: the claim is given up, and says why
            del self.partitions[partition]
            task.result()

    def _seen_before(self, msg: Msg) -> bool:
        """Delivered before, to this replica or another: then a crash may have cut it off.
        A partition's consumer starts again at each claim, so its delivery count starts again
        too; what it had delivered before the claim counts as seen."""
        replayed = self.replayed.get(_partition(msg.subject), 0)
        return msg.metadata.num_delivered > 1 or msg.metadata.sequence.stream <= replayed

    async def _leave(self, partition: int) -> None:
        """Take no more of a partition's replies; those in hand go on."""
        task = self.partitions.pop(partition, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    async def _arrived(self, batch: list[Msg]) -> None:
        for msg in batch:
            await self.room.acquire()
            await self._enqueue(msg)

    async def _enqueue(self, msg: Msg) -> None:
        try:
            out = OutboundMessage.model_validate_json(msg.data)
        except ValidationError as error:
            await dead_letter(self.dead, msg, f"unreadable outbound message: {describe(error)}")
            self.room.release()
            return
        chat = (out.account, out.thread_key)
        self.in_hand[_partition(msg.subject)] += 1
        self.chats.setdefault(chat, deque()).append((msg, out))
        if chat not in self.tasks:
            self.tasks[chat] = asyncio.create_task(self._drain(chat))

    async def _drain(self, chat: tuple[str, str]) -> None:
        queue = self.chats[chat]
        try:
            while queue:
                msg, out = queue[0]
                try:
                    await self._handle(msg, out)
                except Exception as error:  # NATS away while recording: it comes back
                    log.exception("outbound %s given back", out.id)
                    with contextlib.suppress(Exception):
                        await give_back(msg, error, self.spec, self.dead)
                queue.popleft()
                self.in_hand[_partition(msg.subject)] -= 1
                self.room.release()
        finally:
            del self.chats[chat]
            del self.tasks[chat]

    async def _handle(self, msg: Msg, out: OutboundMessage) -> None:
        if out.id in self.sent:  # sent by us; NATS was away when we tried to record it
            await self._record_sent(msg, out, self.sent[out.id], msg.metadata.num_delivered)
            return
        recorded = await self._recorded(out.id)
        if recorded is not None:  # sent before a crash; its report may not have gone out
            await self._record_sent(msg, out, recorded.decode() or None, attempt=1)
            return
        parts = self.capabilities.parts(out)
        done = {n: await self._recorded(f"part.{out.id}.{n}") for n in range(len(parts) - 1)}
        todo = [p for p in parts if done.get(p.index) is None]
        # A part marked as being sent and not recorded as sent was cut off by a crash.
        if (
            self._seen_before(msg)
            and not self.capabilities.idempotent
            and await self._recorded(f"sending.{out.id}.{todo[0].index}")
        ):
            which = f"part {todo[0].index + 1} of {len(parts)}: " if len(parts) > 1 else ""
            await self.reports.outcome(
                out, "failed", msg.metadata.num_delivered, reason=which + UNCERTAIN
            )
            await msg.ack()
            return
        attempts, external_id = 0, None
        for part in todo:
            outcome, tries = await self._send_part(msg, out, part)
            attempts += tries
            if not isinstance(outcome, Sent):
                await self.reports.outcome(out, "failed", attempts, reason=outcome.reason)
                await msg.ack()
                return
            external_id = outcome.external_id
            if not part.last:
                await self._put(f"part.{out.id}.{part.index}", external_id)
        self.sent[out.id] = external_id
        if len(self.sent) > REMEMBERED:
            self.sent.popitem(last=False)
        await self._record_sent(msg, out, external_id, max(attempts, 1))

    async def _send_part(
        self, msg: Msg, out: OutboundMessage, part: Part
    ) -> tuple[Sent | Failed | Retry, int]:
        """One part, retried with backoff until sent or given up: the outcome and the tries."""
        sending = f"sending.{out.id}.{part.index}"
        attempt = 0
        while True:
            attempt += 1
            await self._pace(out.account)
            started = time.perf_counter()
            await self._put(sending, str(attempt))
            try:
                outcome = await self._deliver_alive(msg, out, part)
            except Exception as error:  # a bug or a surprise from the client: try again
                log.exception("%s delivery of %s raised", self.channel, out.id)
                outcome = Retry(describe(error))
            kind = type(outcome).__name__.lower()
            PLATFORM_CALLS.labels(self.channel, out.account, kind).observe(
                time.perf_counter() - started
            )
            if isinstance(outcome, Sent):
                return outcome, attempt
            # The platform said no: this attempt is known not to have gone out.
            await self._bucket().delete(sending)
            DELIVERY_FAILURES.labels(self.channel, out.account, outcome.reason[:60]).inc()
            if isinstance(outcome, Failed) or attempt >= MAX_ATTEMPTS:
                return outcome, attempt
            await self._wait(msg, wait_before(attempt, outcome))

    async def _pace(self, account: str) -> None:
        if self.rate is None:
            return
        bucket = self.buckets.setdefault(account, TokenBucket(self.rate, self.burst))
        if wait := bucket.reserve():
            await asyncio.sleep(wait)

    async def _deliver_alive(self, msg: Msg, out: OutboundMessage, part: Part) -> Outcome:
        """The platform call, with in-progress heartbeats while it lasts (a large upload can
        outlast the ack wait, and then another replica would send it too)."""
        call = asyncio.ensure_future(self.deliver(out, part))
        while True:
            done, _ = await asyncio.wait({call}, timeout=self.spec.ack_wait / 3)
            if done:
                return call.result()
            with contextlib.suppress(Exception):
                await msg.in_progress()

    async def _wait(self, msg: Msg, seconds: float) -> None:
        """Sleep, telling JetStream we are still on it so nobody else takes the message."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, self.spec.ack_wait / 3))
            with contextlib.suppress(Exception):
                await msg.in_progress()

    def _bucket(self) -> KeyValue:
        if self.delivered is None:
            raise RuntimeError("the outbound worker is not started")
        return self.delivered

    async def _put(self, key: str, value: str | None) -> None:
        await self._bucket().put(key, (value or "").encode())

    async def _record_sent(
        self, msg: Msg, out: OutboundMessage, external_id: str | None, attempt: int
    ) -> None:
        await self._put(out.id, external_id)
        await self.reports.outcome(out, "sent", attempt, external_id=external_id)
        CHANNEL_MESSAGES.labels(self.channel, out.account, "out").inc()
        await msg.ack()
        self.sent.pop(out.id, None)

    async def _recorded(self, key: str) -> bytes | None:
        try:
            entry = await self._bucket().get(key)
        except (KeyNotFoundError, KeyDeletedError):
            return None
        return entry.value or b""


def _partition(subject: str) -> int:
    """`outbound.<channel>.<n>` -> n; the unpartitioned `outbound.<channel>` -> -1."""
    last = subject.rsplit(".", 2)
    return int(last[-1]) if len(last) == 3 and last[-1].isdigit() else -1
