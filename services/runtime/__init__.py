"""Plumbing every service shares: settings, logging, metrics, broker, embedded NATS, CLI.

Imports no service. Design: shared/DESIGN.md §5.
"""
