"""Households (承包方) and their archive files (一户一卷): lists, search, the file, its catalogue, disputes, covers."""
