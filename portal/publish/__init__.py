"""Publishing: versions in the database, and the artefacts served for them."""
