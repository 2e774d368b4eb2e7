"""Raw data-tool responses in; anonymised, published aggregates out."""
