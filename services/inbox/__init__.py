"""The agents' door: login, permissions, the REST API under /api/v1 and the live event stream.

It never touches the database: reads are store queries, changes are store commands, both over
NATS. Domain rules (who may do what, templates, login throttling) are pure modules here; the
web UI lives in `ui/` once it exists.
"""
