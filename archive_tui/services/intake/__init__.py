"""Scanned pages coming in (扫描件): filing, page quality, sampling, suggestions."""
