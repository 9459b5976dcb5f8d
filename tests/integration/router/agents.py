"""Agents coming online in router tests, written the way the inbox writes presence (its
services/inbox/presence.py is the only production writer of the bucket)."""

import time

from contracts.presence import AgentPresence, PresenceStatus
from router.presence import Presence


async def set_status(presence: Presence, agent_id: str, status: PresenceStatus) -> None:
    await presence.presence.put(agent_id, AgentPresence(status=status, at=time.time()).to_bytes())
