"""What every request needs (store, directory, presence, login throttles) and who is asking."""

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from contracts.directory import AgentView
from services.inbox import tokens
from services.inbox.directory import DirectoryCache
from services.inbox.indicators import TypingRelay
from services.inbox.presence import PresenceKeeper
from services.inbox.settings import InboxSettings
from services.inbox.throttle import LoginThrottle
from services.runtime.files import FileStore
from services.runtime.store_client import StoreClient

ADDRESS_FREE_FAILURES = 30  # one office behind one address has many people mistyping


@dataclass
class Inbox:
    """Filled in by the service's start-up; routes reach it through `request.app.state`."""

    settings: InboxSettings
    key: str
    store: StoreClient = field(init=False)
    directory: DirectoryCache = field(init=False)
    presence: PresenceKeeper = field(init=False)
    typing: TypingRelay = field(init=False)
    files: FileStore = field(init=False)
    emails: LoginThrottle = field(default_factory=LoginThrottle)
    addresses: LoginThrottle = field(
        default_factory=lambda: LoginThrottle(free_failures=ADDRESS_FREE_FAILURES)
    )

    async def agent_for(self, token: str) -> AgentView | None:
        """The active agent a valid token names, as the directory says now."""
        try:
            agent_id, sessions = tokens.session_of(token, self.key)
        except tokens.InvalidToken:
            return None
        agent = self.directory.agent(agent_id)
        if agent is None:  # created a moment ago, before the change event reached us
            await self.directory.refresh()
            agent = self.directory.agent(agent_id)
        if agent is None or not agent.active or agent.sessions != sessions:
            return None  # gone, deactivated, or its tokens were ended (see AgentView.sessions)
        return agent


def inbox(request: Request) -> Inbox:
    found: Inbox = request.app.state.inbox
    return found


_bearer = HTTPBearer(auto_error=False, description="The token from POST /api/v1/auth/login")


async def current_agent(
    ctx: Annotated[Inbox, Depends(inbox)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AgentView:
    if credentials is None:
        raise HTTPException(401, "log in first: Authorization: Bearer <token>", _CHALLENGE)
    agent = await ctx.agent_for(credentials.credentials)
    if agent is None:
        raise HTTPException(401, "the token is invalid or expired: log in again", _CHALLENGE)
    return agent


_CHALLENGE = {"WWW-Authenticate": "Bearer"}
Ctx = Annotated[Inbox, Depends(inbox)]
Agent = Annotated[AgentView, Depends(current_agent)]
