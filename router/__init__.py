"""The router: departments, assignment, presence and SLA. Decides; never writes the database."""
