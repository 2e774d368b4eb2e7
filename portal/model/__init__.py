"""The portal's data model: datasets, their immutable versions, resources,
fields, and the artefacts (download files) of every version. Each tabular
resource's rows live in a table of their own (see :mod:`portal.rowstore`).

Plain SQLAlchemy 2.x typed ORM; nothing here knows about Flask.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

# JSON documents: JSONB on PostgreSQL (indexable, compact), JSON text on SQLite.
JSONDocument = JSON().with_variant(JSONB(), "postgresql")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A moment in UTC, aware on every database (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value, dialect):
        return None if value is None else as_utc(value)


class ImmutableError(RuntimeError):
    """A published version, or anything inside it, was about to change."""


class Dataset(Base):
    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    versions: Mapped[list[DatasetVersion]] = relationship(
        back_populates="dataset", order_by="DatasetVersion.number"
    )

    def __repr__(self) -> str:
        return f"<Dataset {self.name}>"


class DatasetVersion(Base):
    """One immutable, numbered publication of a dataset."""

    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "number", name="uq_dataset_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    changelog_en: Mapped[str] = mapped_column(Text)
    changelog_cy: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    title_cy: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    description_cy: Mapped[str] = mapped_column(Text)
    keywords_en: Mapped[list[str]] = mapped_column(JSONDocument)
    keywords_cy: Mapped[list[str]] = mapped_column(JSONDocument)
    demonstration: Mapped[bool] = mapped_column(Boolean, default=False)
    license_name: Mapped[str] = mapped_column(String(100))
    # The source descriptor as validated, without resource paths' data.
    descriptor: Mapped[dict[str, Any]] = mapped_column(JSONDocument)

    dataset: Mapped[Dataset] = relationship(back_populates="versions")
    resources: Mapped[list[Resource]] = relationship(
        back_populates="version", order_by="Resource.position"
    )
    artefacts: Mapped[list[Artefact]] = relationship(back_populates="version", order_by="Artefact.id")

    @property
    def published_utc(self) -> datetime:
        """Publication time as an aware UTC datetime (SQLite returns naive ones)."""
        return as_utc(self.published_at)

    def text(self, attribute: str, language: str) -> Any:
        """The ``attribute`` (title, description, keywords, changelog) in ``language``."""
        return getattr(self, f"{attribute}_{'cy' if language == 'cy' else 'en'}")

    def __repr__(self) -> str:
        return f"<DatasetVersion {self.dataset_id} v{self.number}>"


class Resource(Base):
    """A tabular resource of one version: its schema, and where its rows are."""

    __tablename__ = "resources"
    __table_args__ = (UniqueConstraint("version_id", "name", name="uq_resources_version_name"),
                      Index("uq_resources_table_name", "table_name", unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("dataset_versions.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    title_en: Mapped[str] = mapped_column(Text)
    title_cy: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    description_cy: Mapped[str] = mapped_column(Text)
    table_schema: Mapped[dict[str, Any]] = mapped_column("schema", JSONDocument)
    mediatype: Mapped[str] = mapped_column(String(100))
    format: Mapped[str] = mapped_column(String(20))
    byte_size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer)
    # The table holding this resource's rows (see portal.rowstore). Always set
    # by the publisher; nullable only because SQLite cannot add NOT NULL to a
    # column of a table that has rows.
    table_name: Mapped[str] = mapped_column(String(64), nullable=True)

    version: Mapped[DatasetVersion] = relationship(back_populates="resources")
    fields: Mapped[list[ResourceField]] = relationship(
        back_populates="resource", order_by="ResourceField.position"
    )

    def text(self, attribute: str, language: str) -> Any:
        return getattr(self, f"{attribute}_{'cy' if language == 'cy' else 'en'}")


class ResourceField(Base):
    __tablename__ = "resource_fields"
    __table_args__ = (UniqueConstraint("resource_id", "name", name="uq_resource_fields_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(30))
    title_en: Mapped[str] = mapped_column(Text)
    title_cy: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    description_cy: Mapped[str] = mapped_column(Text)

    resource: Mapped[Resource] = relationship(back_populates="fields")

    def text(self, attribute: str, language: str) -> Any:
        return getattr(self, f"{attribute}_{'cy' if language == 'cy' else 'en'}")


class Artefact(Base):
    """One download file of a published version, written once into the
    artefact store under the sha256 of its bytes (see portal.storage).

    ``name`` is the file's place in the version: ``<resource>.csv``,
    ``<resource>.json``, ``cy/<resource>.csv`` or ``<dataset>.zip``. Text files
    also have a gzip variant, stored once, for clients that accept it.
    """

    __tablename__ = "artefacts"
    __table_args__ = (UniqueConstraint("version_id", "name", name="uq_artefacts_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("dataset_versions.id"), index=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"), index=True)
    name: Mapped[str] = mapped_column(String(210))
    kind: Mapped[str] = mapped_column(String(20))
    mediatype: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    byte_size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    gzip_size: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    gzip_sha256: Mapped[str | None] = mapped_column(String(64))

    version: Mapped[DatasetVersion] = relationship(back_populates="artefacts")


class SearchDocument(Base):
    """The searchable text of a dataset's latest version in one language,
    normalised (lower case, no diacritics). Full-text indexed by the database:
    FTS5 on SQLite, a GIN index on PostgreSQL (see the migrations)."""

    __tablename__ = "search_documents"
    __table_args__ = (UniqueConstraint("dataset_id", "language", name="uq_search_documents_language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)


class DatasetFacet(Base):
    """One facet value of a dataset's latest version (theme, council, ...)."""

    __tablename__ = "dataset_facets"
    __table_args__ = (UniqueConstraint("dataset_id", "facet", "value", name="uq_dataset_facets_value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    facet: Mapped[str] = mapped_column(String(30), index=True)
    value: Mapped[str] = mapped_column(String(100))


class CatalogDocument(Base):
    """A serialised page of the DCAT catalogue, made once for the catalogue as
    it stands (``state``) and the site address, kept for every worker; pages
    of an earlier state are removed when a page of a new one is kept."""

    __tablename__ = "catalog_documents"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)


class Withdrawal(Base):
    """A dataset (``version_id`` None) or one version of it taken out of
    publication: its pages become a tombstone and its URLs answer 410 Gone
    with the reason. Nothing is deleted; a withdrawal is never undone."""

    __tablename__ = "withdrawals"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_versions.id"), index=True)
    withdrawn_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_by: Mapped[str] = mapped_column(String(200))
    reason_en: Mapped[str] = mapped_column(Text)
    reason_cy: Mapped[str] = mapped_column(Text)
    # the dataset that replaces a withdrawn dataset, if any (a withdrawn
    # version is replaced by the dataset's newest version still published)
    replaced_by: Mapped[str | None] = mapped_column(String(100))

    dataset: Mapped[Dataset] = relationship()
    version: Mapped[DatasetVersion | None] = relationship()

    def text(self, attribute: str, language: str) -> Any:
        return getattr(self, f"{attribute}_{'cy' if language == 'cy' else 'en'}")

    def __repr__(self) -> str:
        return f"<Withdrawal {self.dataset_id} v{self.version_id}>"


class AuditEvent(Base):
    """The audit log: every sign-in, failed sign-in and sign-out, upload,
    publication, discard, withdrawal, disclosure override, clean-up, token and
    account change, with who (``actor``), when (``at``), what and from which
    address (the client's IP address as the portal sees it, or ``cli``).
    Append-only: the model refuses changes and deletions, and the database
    refuses UPDATE and DELETE with triggers (migration 0009). Written through
    :mod:`portal.publishing.audit`."""

    __tablename__ = "publication_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    # None only on rows recorded before addresses were
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    dataset: Mapped[str | None] = mapped_column(String(100), index=True)
    version: Mapped[int | None] = mapped_column(Integer)
    reason_en: Mapped[str | None] = mapped_column(Text)
    reason_cy: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action}>"


class PublicationRun(Base):
    """One run of a publication, recorded (and committed) before it writes
    anything, and closed when it ends: a run still open whose process is gone
    was killed, and what it wrote is abandoned work for the clean-up."""

    __tablename__ = "publication_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # running, published, unchanged, failed, abandoned
    status: Mapped[str] = mapped_column(String(20), index=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    datasets: Mapped[str] = mapped_column(Text)
    # the run's folder of files being written (removed when it ends)
    work: Mapped[str | None] = mapped_column(Text)



# -- publishing: accounts, API tokens, sign-in throttling and background jobs ------------

ROLES = ("admin", "editor")


class User(Base):
    """A member of the publisher's staff who signs in to publish. ``role`` is
    ``admin`` (manages users and tokens, publishes) or ``editor`` (uploads,
    previews, publishes). ``auth_version`` changes when the password does or
    the account is disabled, ending every session signed in before."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    auth_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    def __repr__(self) -> str:
        return f"<User {self.email} ({self.role})>"


class ApiToken(Base):
    """A bearer token for the write API, issued to a user. Only the sha256 of
    the token is kept; the token itself is shown once, when it is issued."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[User] = relationship()


class LoginFailure(Base):
    """A failed sign-in, kept so that throttling holds across every worker."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Job(Base):
    """An upload being checked, previewed and published in the background by
    the worker (see portal.jobs)."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # package | responses
    # queued, running, ready, invalid, publishing, published, unchanged, failed, discarded, disclosive
    status: Mapped[str] = mapped_column(String(20), index=True)
    stage: Mapped[str] = mapped_column(String(200), default="")
    done: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), default=0)
    total: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), default=0)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, nullable=True)
    # the dataset the upload must be a version of (the API's <name>), if any
    expected_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    # publish without waiting for a person: the API's uploads
    auto_publish: Mapped[bool] = mapped_column(Boolean, default=False)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    preview: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    changelog_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    changelog_cy: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[User | None] = relationship()


IMMUTABLE = (DatasetVersion, Resource, ResourceField, Artefact, Withdrawal, AuditEvent)


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_published_versions(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, IMMUTABLE) and (obj in session.deleted or session.is_modified(obj)):
            raise ImmutableError(f"{obj!r} belongs to a published version and cannot change.")
