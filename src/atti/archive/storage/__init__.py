"""Where the archive keeps its catalog and documents: SQLite + files (the embedded default), or
PostgreSQL + S3-compatible object storage; :mod:`.location` chooses from what ``--archive`` names."""
