"""The ticket store: the only writer of ticket data. Design: shared/DESIGN.md §2-4.

`rules` is the pure domain; `ingest`, `commands` and `queries` run it inside a unit of work
that either backend (`sqlite/`, `mongo/`) provides; `app` wires it to the bus.
"""
