"""Per-shell knowledge: quoting, export/unset syntax, the hook file."""
