"""Live task state in Redis: the key scheme, task and checkpoint documents, the job queue, leases."""
