"""Everything printed or exported: PDF/XLSX/CSV writers."""
