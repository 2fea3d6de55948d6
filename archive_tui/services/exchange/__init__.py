"""Data in and out: import of the national tables, export, sharing, the demo township."""
