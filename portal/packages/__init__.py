"""Frictionless Data Packages in: reading, checking and normalising them.

Nothing here knows about Flask or the database; cross-package references
are resolved through a callable supplied by the caller.
"""
from portal.packages.problems import Problem, ValidationReport
from portal.packages.reader import PackageContent, ResourceContent, read_package

__all__ = ["PackageContent", "Problem", "ResourceContent", "ValidationReport", "read_package"]
