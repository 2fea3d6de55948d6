"""archive-tui: township land-contract registration archives (农村土地承包经营权确权登记档案)."""

__version__ = "0.1.0"
