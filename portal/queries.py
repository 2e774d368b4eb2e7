"""The read side shared by pages, downloads, APIs and feeds."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from portal import datastore, rowstore
from portal.model import Artefact, Dataset, DatasetVersion, Resource, as_utc


# Version numbers are 32-bit in the database; names never hold NUL (PostgreSQL refuses it).
MAX_VERSION = 2_147_483_647


def latest_version(session: Session, name: str) -> DatasetVersion | None:
    """The newest published version of dataset ``name``."""
    if "\x00" in name:
        return None
    return session.scalar(
        select(DatasetVersion).join(Dataset).where(Dataset.name == name)
        .order_by(DatasetVersion.number.desc()).limit(1)
        .options(selectinload(DatasetVersion.resources), selectinload(DatasetVersion.dataset))
    )


def get_version(session: Session, name: str, number: int | None = None) -> DatasetVersion | None:
    """Version ``number`` of dataset ``name``, or the latest when ``number`` is None."""
    if number is None:
        return latest_version(session, name)
    if not 0 < number <= MAX_VERSION or "\x00" in name:
        return None
    return session.scalar(
        select(DatasetVersion).join(Dataset)
        .where(Dataset.name == name, DatasetVersion.number == number)
        .options(selectinload(DatasetVersion.resources), selectinload(DatasetVersion.dataset))
    )


def latest_versions(session: Session) -> list[DatasetVersion]:
    """The latest version of every published dataset, most recently published first."""
    return list(session.scalars(_latest_versions()))


def count_datasets(session: Session) -> int:
    return session.scalar(select(func.count(Dataset.id)))


def latest_versions_page(session: Session, offset: int, limit: int) -> list[DatasetVersion]:
    """One page of the latest versions, in :func:`latest_versions`' order."""
    return list(session.scalars(_latest_versions().offset(offset).limit(limit)))


def _latest_versions():
    newest = (select(DatasetVersion.dataset_id, func.max(DatasetVersion.number).label("number"))
              .group_by(DatasetVersion.dataset_id).subquery())
    return (select(DatasetVersion)
            .join(newest, (DatasetVersion.dataset_id == newest.c.dataset_id)
                  & (DatasetVersion.number == newest.c.number))
            .options(selectinload(DatasetVersion.resources), selectinload(DatasetVersion.dataset),
                     selectinload(DatasetVersion.artefacts))
            .order_by(DatasetVersion.published_at.desc(), DatasetVersion.id.desc()))


def first_publications(session: Session, dataset_ids: list[int]) -> dict[int, object]:
    """When each dataset's first version was published."""
    rows = session.execute(select(DatasetVersion.dataset_id, func.min(DatasetVersion.published_at))
                           .where(DatasetVersion.dataset_id.in_(dataset_ids))
                           .group_by(DatasetVersion.dataset_id))
    return {dataset_id: as_utc(moment) for dataset_id, moment in rows}


def publication_state(session: Session) -> tuple[int, int, object, object]:
    """What identifies the published catalogue as it stands: the number of
    versions, the newest version's id, and the first and last publications."""
    count, newest, first, last = session.execute(select(
        func.count(DatasetVersion.id), func.max(DatasetVersion.id),
        func.min(DatasetVersion.published_at), func.max(DatasetVersion.published_at))).one()
    return count, newest or 0, as_utc(first) if first else None, as_utc(last) if last else None


def version_history(session: Session, name: str) -> list[DatasetVersion]:
    return list(session.scalars(
        select(DatasetVersion).join(Dataset).where(Dataset.name == name)
        .order_by(DatasetVersion.number.desc())
    ))


def find_resource(version: DatasetVersion, name: str) -> Resource | None:
    return next((r for r in version.resources if r.name == name), None)


def published_resource(session: Session, name: str, number: int | None, resource: str) -> Resource | None:
    """Resource ``resource`` of version ``number`` (the latest when None) of
    dataset ``name``, with its version and dataset, in one query: the row APIs
    need no other resource."""
    if "\x00" in name or "\x00" in resource or (number is not None and not 0 < number <= MAX_VERSION):
        return None
    if number is None:
        newest = (select(func.max(DatasetVersion.number)).join(Dataset).where(Dataset.name == name)
                  .scalar_subquery())
    else:
        newest = number
    return session.scalar(
        select(Resource).join(Resource.version).join(DatasetVersion.dataset)
        .where(Dataset.name == name, DatasetVersion.number == newest, Resource.name == resource)
        .options(contains_eager(Resource.version).contains_eager(DatasetVersion.dataset))
    )


def resource_rows(session: Session, resource: Resource) -> list[dict]:
    """Every typed row of a resource, in file order (for small reference
    tables; large ones are read with :func:`portal.rowstore.read`)."""
    return list(rowstore.read(session, datastore.row_table(session, resource)))


def artefact(session: Session, version: DatasetVersion, name: str) -> Artefact | None:
    """The stored download ``name`` of ``version`` (``<resource>.csv``, ``.json``,
    ``cy/<resource>.csv`` or ``<dataset>.zip``)."""
    return session.scalar(select(Artefact).where(Artefact.version_id == version.id, Artefact.name == name))


def dataset_rows(session: Session, name: str, resource: str) -> list[dict]:
    """Rows of ``resource`` in the latest version of ``name`` (empty when unpublished)."""
    version = latest_version(session, name)
    res = find_resource(version, resource) if version else None
    return resource_rows(session, res) if res else []


def is_demonstration(session: Session, name: str) -> bool | None:
    """Whether the latest version of dataset ``name`` holds demonstration
    data (None when it has none). Reads one flag, not the version."""
    return session.scalar(
        select(DatasetVersion.demonstration).join(Dataset).where(Dataset.name == name)
        .order_by(DatasetVersion.number.desc()).limit(1)
    )
