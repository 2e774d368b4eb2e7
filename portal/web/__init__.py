"""HTTP blueprints: thin views over :mod:`portal.queries` and :mod:`portal.publish`."""
