"""Machine-readable descriptions of the catalogue: the DCAT graph, the Atom
feeds and the sitemap.

Pure functions of published versions; every URL comes from a callable the web
layer supplies, so nothing here imports Flask.
"""
