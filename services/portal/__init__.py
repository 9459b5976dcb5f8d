"""The customer portal: customers see and answer their tickets, signed in by a link mailed to
them. Signed links live in `links.py`, the mail in `mail.py`, the HTTP API in `app.py`, the
page in `static/`. Tickets are read from the store and replies join them as inbound messages
of the ticket's own channel; nothing here writes to the store directly."""
