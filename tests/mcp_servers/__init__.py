"""Small MCP servers of our own, run as subprocesses by the connector tests."""
