"""Reports: results to tables, figures and HTML; returns objects, the caller writes them."""
