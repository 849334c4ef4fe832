"""The records in SQL: schema, migrations and the activity log."""
