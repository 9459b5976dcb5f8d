"""REST API v1 (FastAPI): routes by resource, the request context, error mapping, shapes."""
