"""Relay Desk's services (store, inbox) and `runtime`, the plumbing they all share."""
