"""The reports service: report tables materialized from the EVENTS stream as events arrive
(`fold.py`, pure), kept in its own SQLite file (`tables.py`), and read by filter and group
(`figures.py`, pure) when the inbox asks on `queries.reports.<table>` (`app.py`). Nothing here
reads the store's tickets.
"""
