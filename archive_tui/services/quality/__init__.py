"""The inspection rules (质检), their findings and the file forms that state them (卷内目录, 备考表)."""

# The rules register themselves as their modules load: the checks first, then the pixel rules
# (which build on the checks), then the later campaigns' (延包) rules, in that order whatever module
# of this package is imported first.
from archive_tui.services.quality import checks, page_rules  # noqa: F401
from archive_tui.services.quality import campaign_rules  # noqa: F401,E402
