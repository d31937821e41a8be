"""acts stage of atti."""
