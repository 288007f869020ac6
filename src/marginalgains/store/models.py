"""The workspace's tables: organisations, people and their roles, sign-in state, data batches.

One set of SQLAlchemy 2 models for SQLite and PostgreSQL; the schema itself is made by the Alembic
migrations in `store/migrations` (never by `create_all`), so every database walks the same path.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from marginalgains.model import breakdown_label


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both backends (SQLite keeps no zone, so it is put back on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime}


class OrganisationType(StrEnum):
    NATIONAL = "national"
    REGION = "region"
    ICB = "icb"
    TRUST = "trust"
    LOCAL_AUTHORITY = "local_authority"
    PCN = "pcn"
    PRACTICE = "practice"


class Role(StrEnum):
    """A person's role in one organisation; each role can do everything the ones before it can."""

    VIEWER = "viewer"
    ANALYST = "analyst"  # brings data, writes plans
    ADMIN = "admin"  # manages members and sharing

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # ODS or ONS code
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id])


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))  # None: signs in only by single sign-on
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(10))

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship()


class WebSession(Base):
    """A signed-in browser: the cookie holds a random secret, the store only its SHA-256."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A script's credential: scoped to one organisation and role, stored hashed, revocable, expiring."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship()


class SignInAttempt(Base):
    """Failed sign-ins, kept in the store so the rate limit holds across workers."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (Index("ix_sign_in_attempts_email_at", "email_key", "at"),
                      Index("ix_sign_in_attempts_client_at", "client", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    email_key: Mapped[str] = mapped_column(String(64))  # SHA-256 of the lower-cased email given
    client: Mapped[str] = mapped_column(String(64))  # the client's address
    at: Mapped[datetime] = mapped_column(default=utcnow)


class PasswordReset(Base):
    """A one-use password reset link an admin issued for a member."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class BatchStatus(StrEnum):
    DRAFT = "draft"  # validated, seen only by its organisation, not yet part of any view
    PUBLISHED = "published"
    DISCARDED = "discarded"


class Batch(Base):
    """One upload of indicator values by one organisation: validated as a draft, then published whole or discarded."""

    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default=BatchStatus.DRAFT)
    kind: Mapped[str] = mapped_column(String(20))  # tidy | fingertips | bundled
    filename: Mapped[str] = mapped_column(String(300))
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_accepted: Mapped[int] = mapped_column(Integer)
    rows_rejected: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]  # when it was published or discarded
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship()
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
    indicators: Mapped[list[BatchIndicator]] = relationship(cascade="all, delete-orphan", order_by="BatchIndicator.id")


class BatchIndicator(Base):
    """What a batch's indicator is (from its catalogue): every value is read with its batch's definition."""

    __tablename__ = "batch_indicators"
    __table_args__ = (UniqueConstraint("batch_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    indicator_id: Mapped[str] = mapped_column(String(200))
    given_id: Mapped[str] = mapped_column(String(200), default="", server_default="")  # the upload's, if not this
    title: Mapped[str] = mapped_column(Text)
    polarity: Mapped[str] = mapped_column(String(20))
    measure: Mapped[str] = mapped_column(String(20))
    multiplier: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(Text)
    licence: Mapped[str] = mapped_column(Text)
    synthetic: Mapped[bool] = mapped_column(Boolean)
    min_denominator: Mapped[float] = mapped_column(Float)
    sex: Mapped[str] = mapped_column(String(100), default="", server_default="")  # the breakdown ("" is everyone)
    age: Mapped[str] = mapped_column(String(100), default="", server_default="")
    family: Mapped[str] = mapped_column(String(200), default="", server_default="")  # the id its breakdowns share
    modelled: Mapped[str] = mapped_column(Text, default="", server_default="")  # why values are modelled estimates

    @property
    def breakdown(self) -> str:
        """How the breakdown reads on pages ("Male, 10+ yrs"; "" for none)."""
        return breakdown_label(self.sex, self.age)


class BatchRejection(Base):
    """One refused row (or file problem) of a batch: file, row, column, reason, as the library reported it."""

    __tablename__ = "batch_rejections"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    file: Mapped[str] = mapped_column(Text)
    row: Mapped[int | None] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)


class Value(Base):
    """One indicator x breakdown (sex, age) x area x period figure of a batch; `superseded_by_id` names the later
    batch that replaced it (the same indicator, breakdown and period)."""

    __tablename__ = "indicator_values"
    __table_args__ = (Index("ix_indicator_values_current", "organisation_id", "indicator_id", "sex", "age", "period",
                            "superseded_by_id"),
                      UniqueConstraint("batch_id", "indicator_id", "sex", "age", "area_code", "period",
                                       name="uq_indicator_values_cell"))

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    indicator_id: Mapped[str] = mapped_column(String(200))
    area_code: Mapped[str] = mapped_column(String(50))
    area_name: Mapped[str | None] = mapped_column(Text)
    period: Mapped[str] = mapped_column(String(30))
    sex: Mapped[str] = mapped_column(String(100), default="", server_default="")
    age: Mapped[str] = mapped_column(String(100), default="", server_default="")
    numerator: Mapped[float] = mapped_column(Float)
    denominator: Mapped[float] = mapped_column(Float)
    value: Mapped[float | None] = mapped_column(Float)  # a published value (Fingertips), when given
    lower95: Mapped[float | None] = mapped_column(Float)
    upper95: Mapped[float | None] = mapped_column(Float)
    lower998: Mapped[float | None] = mapped_column(Float)
    upper998: Mapped[float | None] = mapped_column(Float)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id", ondelete="SET NULL"))


class SharingAgreement(Base):
    """A data-sharing agreement: `owner` shows its full figures to `partner`; who, when and why, until revoked."""

    __tablename__ = "sharing_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    owner: Mapped[Organisation] = relationship(foreign_keys=[owner_id])
    partner: Mapped[Organisation] = relationship(foreign_keys=[partner_id])
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])


class WorkspacePlan(Base):
    """An improvement plan owned by one organisation; its content lives in its versions, the newest current."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("organisation_id", "plan_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    plan_key: Mapped[str] = mapped_column(String(200))  # the plan document's own id
    version: Mapped[int] = mapped_column(Integer)  # the current version's number
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    partners: Mapped[list[PlanPartner]] = relationship(cascade="all, delete-orphan", order_by="PlanPartner.id")


class PlanVersion(Base):
    """One saved state of a plan: its whole document (the plans library's plain data, as JSON), who and when.

    (plan_id, number) is unique, so two edits based on the same version cannot both land."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    changed: Mapped[str] = mapped_column(Text)  # the top-level fields this version changed, comma-separated
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class PlanPartner(Base):
    """An organisation whose analysts edit a plan with its owner (the plan document's `partners`)."""

    __tablename__ = "plan_partners"
    __table_args__ = (UniqueConstraint("plan_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)

    organisation: Mapped[Organisation] = relationship()


class Comment(Base):
    """A comment on a plan, on one SPC point of a plan (area and period), or on an indicator.

    `organisation_id` is who may read it: the plan's owner (and its partners) or, for an indicator, the
    organisation it was written in."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[str | None] = mapped_column(String(200))
    area_code: Mapped[str | None] = mapped_column(String(50))
    period: Mapped[str | None] = mapped_column(String(30))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    promoted_to_version: Mapped[int | None] = mapped_column(Integer)  # the plan version it became a change in

    author: Mapped[User | None] = relationship()
    mentions: Mapped[list[Mention]] = relationship(cascade="all, delete-orphan", order_by="Mention.id")


class Mention(Base):
    __tablename__ = "mentions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    user: Mapped[User] = relationship()


class PlanStatusEvent(Base):
    """A plan x area's status as last tracked over its owner's figures; a new row each time it changes."""

    __tablename__ = "plan_status_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    area_code: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(40))
    previous: Mapped[str | None] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Webhook(Base):
    """The address an organisation's admin set for its activity: each event is POSTed there, signed with HMAC-SHA256."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), unique=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(64))  # kept as given: the receiver checks signatures with it
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
class Follow(Base):
    """A person follows one area of one indicator: new special-cause signals there come to their activity feed."""

    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("user_id", "indicator_id", "area_code"),
                      Index("ix_follows_indicator_area", "indicator_id", "area_code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[str] = mapped_column(String(200))
    area_code: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpcSignal(Base):
    """One SPC point that became special cause when `batch` was published (it was not one before), in a followed
    area: the point as the atlas's XmR chart judged it then, over the true figures (the feed protects it)."""

    __tablename__ = "spc_signals"
    __table_args__ = (Index("ix_spc_signals_indicator_area", "indicator_id", "area_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[str] = mapped_column(String(200))
    area_code: Mapped[str] = mapped_column(String(50))
    period: Mapped[str] = mapped_column(String(30))
    point_type: Mapped[str] = mapped_column(String(40))  # special_cause_concern | _improvement | _neutral_high | _low
    rule: Mapped[str] = mapped_column(String(20))  # beyond_limits | trend | two_of_three | shift
    value: Mapped[float] = mapped_column(Float)
    mean: Mapped[float | None] = mapped_column(Float)
    lpl: Mapped[float | None] = mapped_column(Float)
    upl: Mapped[float | None] = mapped_column(Float)
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkspaceSetting(Base):
    """A setting of the whole workspace (such as its disclosure rule): its value, who set it and when."""
    __tablename__ = "workspace_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WorkspaceSettingChange(Base):
    """One change of a workspace setting, kept for ever: the audit trail of who set what, when."""
    __tablename__ = "workspace_setting_changes"
    __table_args__ = (Index("ix_workspace_setting_changes_key", "key", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class DataLocation(Base):
    """A place holding record-level data that the server may read for one organisation's engine jobs.

    Only the server's operator adds one (`gains workspace data-location add`); analysts choose among their
    organisation's, never type a path. `location` is an absolute path, resolved when it was added (a folder
    of Parquet/CSV tables or a DuckDB file), or a database URL."""

    __tablename__ = "data_locations"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # folder | duckdb | url
    location: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class EngineJob(Base):
    """The engine run over a data location for an organisation, in the background: its catalogue, state,
    progress, error and timings, and the draft batch its values became."""

    __tablename__ = "engine_jobs"
    __table_args__ = (Index("ix_engine_jobs_state", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("data_locations.id", ondelete="SET NULL"))
    location_name: Mapped[str] = mapped_column(String(100))  # kept if the location is later removed
    backend: Mapped[str] = mapped_column(String(20))
    catalogue_filename: Mapped[str] = mapped_column(String(300))
    catalogue: Mapped[str] = mapped_column(Text)  # the uploaded YAML, so any server worker can run the job
    state: Mapped[str] = mapped_column(String(10), default=JobState.QUEUED)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    progress_label: Mapped[str] = mapped_column(Text, default="waiting for a free slot")
    error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(200))  # host and process running it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]  # refreshed while it runs
    finished_at: Mapped[datetime | None]
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id", ondelete="SET NULL"))
    cancel_requested_at: Mapped[datetime | None]  # a running job's worker interrupts its engine
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    batch: Mapped[Batch | None] = relationship()
