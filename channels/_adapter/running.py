"""What an adapter service runs once its broker is connected, typed, and stopped as one:
the outbound worker, the subscription following agents' typing, the intake its webhook and
pollers use, and any background tasks (pollers)."""

import asyncio
import contextlib
from dataclasses import dataclass, field

from nats.aio.subscription import Subscription

from channels._adapter.intake import Intake
from channels._adapter.outbound import OutboundWorker


@dataclass
class Running:
    outbound: OutboundWorker | None = None
    typing: Subscription | None = None
    intake: Intake | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def connected_intake(self) -> Intake:
        """The intake, for a request that can only come once the service has started."""
        if self.intake is None:
            raise RuntimeError("the adapter is not connected to NATS yet")
        return self.intake

    async def stop(self) -> None:
        if self.typing is not None:
            with contextlib.suppress(Exception):  # NATS already gone: nothing to undo
                await self.typing.unsubscribe()
        for task in self.tasks:
            task.cancel()
        if self.outbound is not None:
            await self.outbound.stop()
