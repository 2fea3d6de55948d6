"""The inspection rules (质检) and their findings."""
