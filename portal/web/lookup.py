"""Published versions and resources named in a URL, or a 404 that says what
exists (a 410 with the reason for what was withdrawn); shared by the pages,
the downloads and the JSON API."""
from __future__ import annotations

from flask import abort

from portal import queries
from portal.errors import Withdrawn
from portal.extensions import session
from portal.model import DatasetVersion, Resource
from portal.publish.withdraw import replacement


def gone_if_withdrawn(name: str, number: int | None) -> None:
    """410 Gone, with the reason, when dataset ``name`` (or its version
    ``number``) was withdrawn."""
    withdrawal = queries.withdrawal_of(session(), name, number)
    if withdrawal is not None:
        raise Withdrawn(withdrawal, replacement(session(), withdrawal))


def version_or_404(name: str, number: int | None) -> DatasetVersion:
    """Version ``number`` of dataset ``name`` (the latest when None)."""
    version = queries.get_version(session(), name, number)
    if version is None:
        gone_if_withdrawn(name, number)
        if number is not None and queries.latest_version(session(), name) is not None:
            abort(404, f"Dataset {name!r} has no version {number}.")
        abort(404, f"No dataset named {name!r} is published.")
    return version


def resource_or_404(version: DatasetVersion, name: str) -> Resource:
    resource = queries.find_resource(version, name)
    if resource is None:
        names = ", ".join(r.name for r in version.resources)
        abort(404, f"Dataset {version.dataset.name!r} version {version.number} has no resource "
                   f"{name!r}; its resources are: {names}.")
    return resource


def published_resource_or_404(name: str, number: int | None, resource: str) -> tuple[DatasetVersion, Resource]:
    """A resource of a published version, found in one query; when there is
    none, the 404 of :func:`version_or_404` or :func:`resource_or_404`."""
    found = queries.published_resource(session(), name, number, resource)
    if found is None:
        resource_or_404(version_or_404(name, number), resource)
    return found.version, found
