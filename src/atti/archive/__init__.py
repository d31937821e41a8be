"""archive stage of atti."""
