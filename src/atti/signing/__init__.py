"""signing stage of atti."""
