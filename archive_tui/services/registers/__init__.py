"""The registers kept beside the files: certificates, the three copies, record items, use, monthly
figures, kept forms, the custody forms (案卷目录, 盒脊)."""
