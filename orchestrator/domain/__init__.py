"""Pure values and rules of a task: no I/O, no asyncio tasks, no adapters."""
