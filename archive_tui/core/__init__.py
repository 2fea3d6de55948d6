"""What every layer shares and no database: the configuration, errors, paths, privacy, display."""
