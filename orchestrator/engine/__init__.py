"""The asyncio loops that run tasks: runner, worker, reporter, approvals, prompt assembly."""
