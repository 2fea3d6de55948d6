"""Accounts, backups and the printer."""
