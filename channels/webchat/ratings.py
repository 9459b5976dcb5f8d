"""`/rate/<token>`: the one-click satisfaction link of a mail. The token is checked here (see
`services.bot.rating`), the rating goes to the store as `RateTicket`; the page says what
happened in Russian and English, and nothing on it comes from the request.

A GET records the rating: that is what one click means. Mail scanners that open links ahead
of the reader could rate in the reader's place; a second click with another score, within
24 hours, corrects it.
"""

import html
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from nats.aio.client import Client
from starlette.responses import HTMLResponse, Response

from contracts import commands as c
from contracts import subjects
from services.bot import rating

log = logging.getLogger("relaydesk.webchat")
PAGE = """<!doctype html><html lang="ru"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font:18px/1.5 system-ui,sans-serif;max-width:32em;margin:15vh auto;padding:0 1em;
text-align:center;color:#1d2330}}.stars{{font-size:40px;color:#e0a100}}</style></head>
<body><p class="stars">{stars}</p><p>{ru}</p><p lang="en">{en}</p></body></html>"""


def page(status: int, ru: str, en: str, score: int = 0) -> HTMLResponse:
    stars = "★" * score + "☆" * (5 - score) if score else ""
    body = PAGE.format(title=html.escape(en), stars=stars, ru=html.escape(ru), en=html.escape(en))
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def endpoint(key: bytes, nats: Callable[[], Client]) -> Callable[[Any], Awaitable[Response]]:
    async def rate(request: Any) -> Response:
        found = rating.verify(key, str(request.path_params.get("token", "")))
        if found is None:
            return page(403, "Ссылка недействительна.", "This link is not valid.")
        ticket_id, score = found
        command = c.RateTicket(actor="customer", ticket_id=ticket_id, score=score)
        try:
            answer = await nats().request(subjects.command(command.name), command.to_bytes(), 5)
        except Exception as error:  # the store away: the customer may click again later
            log.warning("rating not recorded: %s", type(error).__name__)
            return page(503, "Не получилось, попробуйте ещё раз.", "That failed; try again.")
        reply = c.COMMAND_REPLY.validate_json(answer.data)
        if isinstance(reply, c.CommandError):
            if reply.code == "not_found":
                return page(404, "Заявка не найдена.", "No such ticket.")
            return page(410, "Оценку уже не принимаем.", "This rating is closed.")
        return page(200, "Спасибо за оценку!", "Thank you for rating us!", score)

    return rate
