"""Service levels, pure: business-time arithmetic, SLA clocks and the texts the desk sends by
itself (acknowledgements, reminders). Shared by the store (which keeps the clocks on each
ticket, in the same write as the change that moves them), the router (which fires what is
due) and the inbox (which shows it). No I/O here; nothing here reads the clock on its own.
"""
