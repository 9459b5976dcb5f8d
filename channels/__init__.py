"""Channel adapters: one package per platform, each its own process. Design: DESIGN.md §2."""
