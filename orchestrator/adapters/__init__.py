"""Real implementations of the orchestrator's ports: Redis, SQL and the Anthropic API."""
