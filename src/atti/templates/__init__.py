"""templates stage of atti."""
