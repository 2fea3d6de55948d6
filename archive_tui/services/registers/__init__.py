"""The registers kept beside the files: certificates, the three copies, record items, use, monthly
figures, kept forms."""
