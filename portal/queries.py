"""The read side shared by pages, downloads, APIs and feeds."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from portal import datastore, rowstore
from portal.model import Artefact, Dataset, DatasetVersion, Resource, Withdrawal, as_utc


# Version numbers are 32-bit in the database; names never hold NUL (PostgreSQL refuses it).
MAX_VERSION = 2_147_483_647


def withdrawn_datasets():
    """The ids of withdrawn datasets."""
    return select(Withdrawal.dataset_id).where(Withdrawal.version_id.is_(None))


def withdrawn_versions():
    """The ids of withdrawn versions."""
    return select(Withdrawal.version_id).where(Withdrawal.version_id.is_not(None))


def is_live():
    """A version that is published and not withdrawn (nor its dataset)."""
    return (DatasetVersion.id.not_in(withdrawn_versions())
            & DatasetVersion.dataset_id.not_in(withdrawn_datasets()))


def latest_version(session: Session, name: str) -> DatasetVersion | None:
    """The newest published version of dataset ``name`` that is not withdrawn."""
    if "\x00" in name:
        return None
    return session.scalar(
        select(DatasetVersion).join(Dataset).where(Dataset.name == name, is_live())
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
        .where(Dataset.name == name, DatasetVersion.number == number, is_live())
        .options(selectinload(DatasetVersion.resources), selectinload(DatasetVersion.dataset))
    )


def latest_versions(session: Session) -> list[DatasetVersion]:
    """The latest version of every published dataset, most recently published first."""
    return list(session.scalars(_latest_versions()))


def count_datasets(session: Session) -> int:
    """Datasets with a version still published."""
    return session.scalar(select(func.count(func.distinct(DatasetVersion.dataset_id))).where(is_live()))


def latest_versions_page(session: Session, offset: int, limit: int) -> list[DatasetVersion]:
    """One page of the latest versions, in :func:`latest_versions`' order."""
    return list(session.scalars(_latest_versions().offset(offset).limit(limit)))


def _latest_versions():
    newest = (select(DatasetVersion.dataset_id, func.max(DatasetVersion.number).label("number"))
              .where(is_live()).group_by(DatasetVersion.dataset_id).subquery())
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
    versions, the newest version's id with the newest file's (and, once
    something is withdrawn, the newest withdrawal's), and the first and last
    publications (or withdrawals)."""
    count, newest, first, last = session.execute(select(
        func.count(DatasetVersion.id), func.max(DatasetVersion.id),
        func.min(DatasetVersion.published_at), func.max(DatasetVersion.published_at))).one()
    withdrawn, latest_withdrawal = session.execute(select(func.max(Withdrawal.id),
                                                          func.max(Withdrawal.withdrawn_at))).one()
    # files built after publication (large tables' spreadsheets) join the catalogue too
    files = session.scalar(select(func.max(Artefact.id)))
    newest = f"{newest or 0}-{files or 0}"
    if withdrawn:
        newest = f"{newest}-{withdrawn}"
        latest_withdrawal = as_utc(latest_withdrawal)
        last = max(as_utc(last), latest_withdrawal) if last else latest_withdrawal
    return count, newest, as_utc(first) if first else None, as_utc(last) if last else None


def version_history(session: Session, name: str, include_withdrawn: bool = False) -> list[DatasetVersion]:
    """The versions of dataset ``name``, newest first: only those still
    published, or (``include_withdrawn``, for the changelog) every one."""
    statement = select(DatasetVersion).join(Dataset).where(Dataset.name == name)
    if not include_withdrawn:
        statement = statement.where(is_live())
    return list(session.scalars(statement.order_by(DatasetVersion.number.desc())))


def withdrawals(session: Session, name: str) -> list[Withdrawal]:
    """Every withdrawal of dataset ``name`` or of its versions, oldest first."""
    return list(session.scalars(select(Withdrawal).join(Withdrawal.dataset).where(Dataset.name == name)
                                .order_by(Withdrawal.id)))


def withdrawal_of(session: Session, name: str, number: int | None = None) -> Withdrawal | None:
    """Why dataset ``name`` (``number`` None), or its version ``number``, is
    no longer published: the dataset's withdrawal, else the version's; for
    the latest (``number`` None) also when every version is withdrawn (the
    newest one's). None when it is published, or was never."""
    if "\x00" in name or (number is not None and not 0 < number <= MAX_VERSION):
        return None
    found = withdrawals(session, name)
    whole = next((w for w in found if w.version_id is None), None)
    if whole is not None:
        return whole
    if number is None:
        if latest_version(session, name) is not None:
            return None
        return found[-1] if found else None
    return next((w for w in found if w.version is not None and w.version.number == number), None)


def find_resource(version: DatasetVersion, name: str) -> Resource | None:
    return next((r for r in version.resources if r.name == name), None)


def published_resource(session: Session, name: str, number: int | None, resource: str) -> Resource | None:
    """Resource ``resource`` of version ``number`` (the latest when None) of
    dataset ``name``, with its version and dataset, in one query: the row APIs
    need no other resource."""
    if "\x00" in name or "\x00" in resource or (number is not None and not 0 < number <= MAX_VERSION):
        return None
    if number is None:
        newest = (select(func.max(DatasetVersion.number)).join(Dataset).where(Dataset.name == name, is_live())
                  .scalar_subquery())
    else:
        newest = number
    return session.scalar(
        select(Resource).join(Resource.version).join(DatasetVersion.dataset)
        .where(Dataset.name == name, DatasetVersion.number == newest, Resource.name == resource, is_live())
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
