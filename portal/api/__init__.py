"""Machine APIs of the portal."""
