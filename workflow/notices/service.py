"""The public notice (公示) online: what is in notice now, objections lodged from the public page,
their receipts, and the check that a published notice was not changed afterwards.

A notice shows what a paper notice on the village board shows — the head of the household
(or the village, or the county), the village, the assessment's summary, the dates — and
nothing more: no registry numbers, no ids of people, no phone numbers.

An objection from the page is opened by the same command staff use (exits.lodge_objection),
with channel `public_web` and the account `public` (nobody signed in: the log records that
no account wrote it, never a made-up person). The objector is given a receipt number: random,
shown once, kept only as its SHA-256, so it cannot be guessed from another one and says
nothing about who lodged it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import secrets
import zlib
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import delete, func, select, text
from sqlmodel import Session

from workflow import clock, errors, rulebook
from workflow.audit.checkpoint import check_signed_head, newest_kept, statement_of
from workflow.chunking import chunks
from workflow.db import one_of
from workflow.eventlog import Actor
from workflow.eventlog.log import chain_hash
from workflow.eventlog.models import Event
from workflow.exits import service as exits
from workflow.exits.models import ExitCase, Objection
from workflow.notices.models import PublicAttempt
from workflow.org.models import Household, OrgUnit
from workflow.org.places import Subtree
from workflow.types import new_id

# Who writes an objection from the public page: no account signed in.
PUBLIC = Actor(account="public")
CHANNEL = "public_web"
ANONYMOUS = "匿名(网上公示)"  # lodged_by when the objector leaves no name

MAX_GROUNDS = 1000  # characters of an objection's text
MAX_NAME = 32
PHONE_DIGITS = (5, 20)

# The flood limit: objections accepted per client address per window, across every server process.
OBJECTIONS_PER_WINDOW = 3
WINDOW = dt.timedelta(seconds=60)
_PG_ATTEMPT_LOCK = 0x7075626C << 32  # "publ": a namespace for per-address locks, apart from the log's

_MARKUP = re.compile(r"<\s*[A-Za-z/!?]|&#|javascript:", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PHONE = re.compile(r"\+?[0-9][0-9 \-]*")

# Receipt numbers: 12 symbols of an alphabet without look-alikes (no 0/O, 1/I/L), about 59 bits.
# A number is looked up as typed, any case; symbols outside the alphabet simply match nothing.
_RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_RECEIPT_LENGTH = 12


@dataclasses.dataclass(frozen=True)
class Notice:
    """One exit case in its notice period, as the public page shows it."""

    case_id: str
    level: str  # household, village, county
    subject_name: str  # the head of the household, or the village's or county's name
    members: int | None  # a household's people
    village_name: str | None
    township_name: str | None
    county_name: str | None
    unit_code: str  # the village (or the county) the notice is posted in
    summary_zh: str
    summary_en: str
    posted_at: dt.datetime
    first_day: dt.date  # counted like a legal period: from the day after posting
    last_day: dt.date
    ends_at: dt.datetime
    event_seq: int  # the event that published it (exit_case.notice_posted)
    event_hash: str


@dataclasses.dataclass(frozen=True)
class Receipt:
    """What a receipt number shows: the notice it concerns, when it was lodged, and its outcome."""

    notice_subject: str
    village_name: str | None
    lodged_at: dt.datetime
    outcome: str | None  # None while open; upheld, dismissed, or moot
    resolution: str | None
    resolved_at: dt.datetime | None


# ---- the notices in force -------------------------------------------------------------


def notices_running(session: Session, *, scope_code: str | None = None, now: dt.datetime | None = None) -> list[Notice]:
    """Every exit case whose public notice runs at `now` (default: the clock), under `scope_code`
    if given, by county, township, village and name."""
    now = now or clock.now()
    scope = _scope(session, scope_code)
    query = select(ExitCase).where(ExitCase.status == "in_notice", ExitCase.notice_ends_at > now)
    if scope is not None:
        query = query.join(OrgUnit, OrgUnit.code == ExitCase.unit_code).where(Subtree.of(scope).clause(OrgUnit.path))
    cases = list(session.execute(query).scalars())
    return _notices(session, cases)


@dataclasses.dataclass(frozen=True)
class NoticePlace:
    """A village (or a county, for a county's own notice) and how many notices run there."""

    unit_code: str
    county_name: str | None
    township_name: str | None
    unit_name: str
    notices: int


def _running(scope: OrgUnit | None, now: dt.datetime):
    query = select(ExitCase.unit_code, func.count()).where(ExitCase.status == "in_notice", ExitCase.notice_ends_at > now)
    if scope is not None:
        query = query.join(OrgUnit, OrgUnit.code == ExitCase.unit_code).where(Subtree.of(scope).clause(OrgUnit.path))
    return query.group_by(ExitCase.unit_code)


def notice_places(session: Session, *, scope_code: str | None = None, now: dt.datetime | None = None) -> list[NoticePlace]:
    """Where notices run at `now`, under `scope_code` if given: each village (or county) and its
    count, by county and township — the index a city's page shows when its notices are too many for one page."""
    now = now or clock.now()
    scope = _scope(session, scope_code)
    counts = dict(session.execute(_running(scope, now)).all())
    units = _units_on_paths(session, counts)
    found = []
    for code, count in counts.items():
        on_path = {units[c].level: units[c] for c in units[code].path.split("/") if c in units}
        found.append(NoticePlace(code, on_path["county"].name if "county" in on_path else None, on_path["township"].name if "township" in on_path else None, units[code].name, count))
    return sorted(found, key=lambda p: (p.county_name or "", p.township_name or "", p.unit_name, p.unit_code))


def _scope(session: Session, scope_code: str | None) -> OrgUnit | None:
    if scope_code is None:
        return None
    scope = session.get(OrgUnit, scope_code)
    if scope is None:
        raise errors.OrgUnitNotFound(id=scope_code, field="unit")
    return scope


def running_notice(session: Session, case_id: str, *, now: dt.datetime | None = None) -> Notice:
    """The notice of `case_id` if it is running at `now`; NoticeNotFound otherwise (no more said)."""
    now = now or clock.now()
    case = session.get(ExitCase, case_id)
    if case is None or case.status != "in_notice" or case.notice_ends_at is None or case.notice_ends_at <= now:
        raise errors.NoticeNotFound(id=case_id)
    return _notices(session, [case])[0]


def _notices(session: Session, cases: list[ExitCase]) -> list[Notice]:
    connection = session.connection()
    published = _notice_events(session, [case.id for case in cases])
    households = {}
    for part in chunks([c.subject_id for c in cases if c.level == "household"]):
        households.update({h.id: h for h in session.execute(select(Household).where(one_of(connection, Household.id, part))).scalars()})
    units = _units_on_paths(session, {case.unit_code for case in cases})
    found = []
    for case in cases:
        event = published.get(case.id)
        if event is None:  # a case cannot be in notice without its notice event; be safe rather than show it unproven
            continue
        unit = units[case.unit_code]
        on_path = {units[code].level: units[code] for code in unit.path.split("/") if code in units}
        household = households.get(case.subject_id) if case.level == "household" else None
        summary_zh, summary_en = _summary(case)
        zone = rulebook.in_force(rulebook.local_date_of(event.occurred_at)).zone
        found.append(
            Notice(
                case_id=case.id,
                level=case.level,
                subject_name=household.head_name if household is not None else unit.name,
                members=household.members if household is not None else None,
                village_name=on_path["village"].name if "village" in on_path else None,
                township_name=on_path["township"].name if "township" in on_path else None,
                county_name=on_path["county"].name if "county" in on_path else None,
                unit_code=case.unit_code,
                summary_zh=summary_zh,
                summary_en=summary_en,
                posted_at=event.occurred_at,
                first_day=clock.local_date(event.occurred_at, zone) + dt.timedelta(days=1),
                last_day=clock.local_date(case.notice_ends_at - dt.timedelta(microseconds=1), zone),
                ends_at=case.notice_ends_at,
                event_seq=event.seq,
                event_hash=event.hash,
            )
        )
    return sorted(found, key=lambda n: (n.county_name or "", n.township_name or "", n.village_name or "", n.level, n.subject_name, n.case_id))


def _notice_events(session: Session, case_ids: list[str]) -> dict[str, Event]:
    """Each case's latest exit_case.notice_posted event: the one that published its running notice."""
    connection = session.connection()
    found: dict[str, Event] = {}
    for part in chunks(case_ids):
        query = select(Event).where(Event.entity_type == "exit_case", one_of(connection, Event.entity_id, part), Event.type == "exit_case.notice_posted")
        for event in session.execute(query.order_by(Event.seq)).scalars():
            found[event.entity_id] = event
    return found


def _units_on_paths(session: Session, codes: Iterable[str]) -> dict[str, OrgUnit]:
    """The units `codes` and every unit above them, by code."""
    connection = session.connection()
    units: dict[str, OrgUnit] = {}
    for part in chunks(sorted(set(codes))):
        units.update({u.code: u for u in session.execute(select(OrgUnit).where(one_of(connection, OrgUnit.code, part))).scalars()})
    above = {code for unit in list(units.values()) for code in unit.path.split("/")} - set(units)
    for part in chunks(sorted(above)):
        units.update({u.code: u for u in session.execute(select(OrgUnit).where(one_of(connection, OrgUnit.code, part))).scalars()})
    return units


def _summary(case: ExitCase) -> tuple[str, str]:
    """The assessment as a paper notice sums it up, in Chinese and English."""
    evidence = json.loads(case.proposal) if case.proposal else {}
    if "assessment" in evidence:
        a, year, line = evidence["assessment"], evidence["year"], evidence["poverty_line"]
        return (
            f"{year} 年人均纯收入 {a['income_per_capita']} 元,高于当年扶贫标准 {line} 元;"
            "不愁吃、不愁穿,义务教育、基本医疗、住房安全有保障;户主已签字认可",
            f"{year} income per person {a['income_per_capita']} yuan, above that year's poverty line of {line} yuan; "
            "food, clothing, compulsory education, basic medical care and safe housing assured; acknowledged by the household",
        )
    if "poor_population" in evidence:
        poor, rural, threshold = evidence["poor_population"], evidence["rural_population"], Decimal(str(evidence["threshold"]))
        rate = Decimal(poor) / Decimal(rural) if rural else Decimal(0)
        return (
            f"贫困发生率 {rate:.2%}(贫困人口 {poor} 人,农村人口 {rural} 人),低于退出标准 {threshold:.0%}",
            f"poverty incidence {rate:.2%} ({poor} poor of {rural} rural residents), below the exit threshold of {threshold:.0%}",
        )
    return "", ""


# ---- objections from the public -----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PublicObjection:
    grounds: str
    name: str | None
    phone: str | None


def checked_objection(grounds: str | None, name: str | None, phone: str | None) -> PublicObjection:
    """The form's fields, trimmed, or PublicObjectionInvalid saying what is wrong (nothing is looked up)."""
    grounds = (grounds or "").strip()
    name = (name or "").strip() or None
    phone = (phone or "").strip() or None
    if not grounds:
        raise errors.PublicObjectionInvalid.empty()
    if len(grounds) > MAX_GROUNDS:
        raise errors.PublicObjectionInvalid.too_long(length=len(grounds), limit=MAX_GROUNDS)
    for value in (grounds, name or ""):
        if _CONTROL.search(value):
            raise errors.PublicObjectionInvalid.control()
    if _MARKUP.search(grounds):
        raise errors.PublicObjectionInvalid.markup()
    if name is not None:
        if len(name) > MAX_NAME:
            raise errors.PublicObjectionInvalid.name_too_long(length=len(name), limit=MAX_NAME)
        if _MARKUP.search(name) or "<" in name or ">" in name:
            raise errors.PublicObjectionInvalid.name_markup()
    if phone is not None:
        digits = sum(ch.isdigit() for ch in phone)
        if not _PHONE.fullmatch(phone) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1] or len(phone) > 32:
            raise errors.PublicObjectionInvalid.phone(minimum=PHONE_DIGITS[0], limit=PHONE_DIGITS[1])
    return PublicObjection(grounds, name, phone)


def lodge_public_objection(
    session: Session, *, case_id: str, grounds: str | None, name: str | None, phone: str | None, client: str
) -> tuple[Objection, str]:
    """Lodge an objection from the public page on a running notice; the objection and its receipt number.

    Refused, writing nothing: bad text (PublicObjectionInvalid), no such running notice
    (NoticeNotFound), the notice over (NoticePeriodOver, from the exit machine, as for staff),
    or too many from `client` lately (TooManyPublicObjections).
    """
    form = checked_objection(grounds, name, phone)
    case = session.get(ExitCase, case_id)
    if case is None or case.status != "in_notice":
        raise errors.NoticeNotFound(id=case_id)
    receipt = new_receipt()
    # One savepoint: a refusal after the flood counter or the event was written leaves neither.
    with session.begin_nested():
        _admit(session, client=client, now=clock.now())
        objection = exits.lodge_objection(
            session,
            actor=PUBLIC,
            case_id=case_id,
            lodged_by=form.name or ANONYMOUS,
            grounds=form.grounds,
            channel=CHANNEL,
            contact_phone=form.phone,
            receipt_hash=receipt_hash(receipt),
        )
    return objection, receipt


def _admit(session: Session, *, client: str, now: dt.datetime) -> None:
    """Count this submission against `client`'s limit, or refuse it (TooManyPublicObjections).

    Counted in the database, so every server process sees the same count; on PostgreSQL a
    lock per address makes two submissions from one address count one after the other
    (SQLite's writers queue already).
    """
    client = client[:64]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_ATTEMPT_LOCK | zlib.crc32(client.encode("utf-8"))})
    since = now - WINDOW
    mine = (PublicAttempt.kind == "objection", PublicAttempt.client == client)
    session.execute(delete(PublicAttempt).where(*mine, PublicAttempt.at <= since))
    recent = session.execute(select(func.count()).select_from(PublicAttempt).where(*mine, PublicAttempt.at > since)).scalar_one()
    if recent >= OBJECTIONS_PER_WINDOW:
        raise errors.TooManyPublicObjections(limit=OBJECTIONS_PER_WINDOW, seconds=int(WINDOW.total_seconds()))
    session.add(PublicAttempt(id=new_id(), kind="objection", client=client, at=now))
    session.flush()


def forget_attempts(session: Session, *, now: dt.datetime | None = None) -> int:
    """Delete every counted submission older than the limit's window (housekeeping); how many."""
    since = (now or clock.now()) - WINDOW
    return session.execute(delete(PublicAttempt).where(PublicAttempt.at <= since)).rowcount or 0


# ---- receipts ---------------------------------------------------------------------------


def new_receipt() -> str:
    """A fresh receipt number, e.g. 7KQ4-M2XR-9TBC: random, so none can be guessed from another."""
    symbols = "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(_RECEIPT_LENGTH))
    return "-".join(symbols[i : i + 4] for i in range(0, _RECEIPT_LENGTH, 4))


def normal_receipt(number: str) -> str:
    """A receipt number as typed (any case, with or without spaces and dashes) in its one form."""
    cleaned = re.sub(r"[\s\-]", "", number or "").upper()
    return "-".join(cleaned[i : i + 4] for i in range(0, len(cleaned), 4))


def receipt_hash(number: str) -> str:
    return hashlib.sha256(normal_receipt(number).encode("utf-8")).hexdigest()


def receipt(session: Session, number: str) -> Receipt:
    """What receipt `number` shows; ReceiptNotFound for a number no objection has."""
    shown = normal_receipt(number)[:20]
    if len(shown.replace("-", "")) != _RECEIPT_LENGTH:
        raise errors.ReceiptNotFound(id=shown)
    objection = session.execute(select(Objection).where(Objection.receipt_hash == receipt_hash(shown))).scalar_one_or_none()
    if objection is None:
        raise errors.ReceiptNotFound(id=shown)
    case = session.get(ExitCase, objection.case_id)
    units = _units_on_paths(session, [case.unit_code])
    unit = units[case.unit_code]
    village = next((units[c] for c in unit.path.split("/") if c in units and units[c].level == "village"), None)
    household = session.get(Household, case.subject_id) if case.level == "household" else None
    return Receipt(
        notice_subject=household.head_name if household is not None else unit.name,
        village_name=village.name if village is not None else None,
        lodged_at=objection.lodged_at,
        outcome=objection.outcome,
        resolution=objection.resolution,
        resolved_at=objection.resolved_at,
    )


# ---- was a published notice changed afterwards? -------------------------------------------


@dataclasses.dataclass(frozen=True)
class NoticeProof:
    """The check of a notice event against the hash someone saw published, and the newest checkpoint."""

    seq: int
    published_hash: str
    found: bool  # the log has a notice event at seq
    hash_recomputed: str | None  # SHA-256 of the event's columns, computed now
    unchanged: bool  # recomputed == stored == published
    checkpoint: dict | None
    checkpoint_ok: bool  # its signature verifies and the log still has its head
    checkpoint_problem: str | None
    covered: bool  # the checkpoint's head is at or after the event


def prove_notice(session: Session, *, seq: int, published_hash: str) -> NoticeProof:
    """Recompute the notice event `seq`'s hash and compare it with `published_hash` (as saved from
    the page); check the newest signed checkpoint's signature and head, and whether it covers the event.

    The chain between the event and the checkpoint is checked whole by `exit-tracker audit
    notice` (docs/AUDIT.md); this checks, fast, what the public page can check for anyone.
    """
    published_hash = (published_hash or "").strip().lower()
    event = session.get(Event, seq) if 0 < seq < 2**63 else None
    if event is None or event.type != "exit_case.notice_posted":
        return NoticeProof(seq, published_hash, False, None, False, None, False, None, False)
    recomputed = chain_hash(event)
    checkpoint = newest_kept(session)
    ok, problem = False, None
    if checkpoint is not None:
        signed = check_signed_head(session, checkpoint)
        ok, problem = signed.ok, signed.problem
    return NoticeProof(
        seq=seq,
        published_hash=published_hash,
        found=True,
        hash_recomputed=recomputed,
        unchanged=recomputed == event.hash == published_hash,
        checkpoint=checkpoint,
        checkpoint_ok=ok,
        checkpoint_problem=problem,
        covered=checkpoint is not None and checkpoint["seq"] >= seq,
    )


def checkpoint_statement(checkpoint: dict) -> str:
    """The exact text the checkpoint's signature signs: what anyone verifies with the public key."""
    return statement_of(checkpoint).decode("utf-8")
