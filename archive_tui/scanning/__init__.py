"""The file-system side of scan intake: probing, (later) watching, linking and filing."""
