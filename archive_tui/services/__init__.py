"""Use cases, one module per capability. No Textual import here."""
