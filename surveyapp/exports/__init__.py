"""Downloads of results: workbooks, tables and the printable report."""
