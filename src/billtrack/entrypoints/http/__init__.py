"""The HTTP API's edge: wire schemas and JSON encoding."""
