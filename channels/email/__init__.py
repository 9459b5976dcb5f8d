"""The email channel: mailboxes read over IMAP, mail received by an SMTP ingress, replies sent
over SMTP (or written as `.eml` files for an account with no SMTP server). What a mail means
(`mime.py`, `charsets.py`, `html_text.py`, `kinds.py`, `threading.py`) is pure and apart from
what talks to servers (`imap.py`, `ingress.py`, `send.py`)."""
