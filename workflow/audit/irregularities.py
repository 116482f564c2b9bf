"""Irregularities an auditor follows up: signatures without a prior visit, back-filled visits,
visits outside the visitor's tenure, impossible travel, proxy signatures without a document.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict

from sqlalchemy import select
from sqlmodel import Session

from rules import RuleBook
from workflow import clock, rulebook
from workflow.exits.models import ExitCase, Signature
from workflow.imports.models import VisitImport
from workflow.org.models import OrgUnit, Person
from workflow.org.service import get_unit
from workflow.posts.models import Post
from workflow.visits.models import Visit
from workflow.visits.service import visits_query
from workflow.org.places import Subtree

KINDS = {
    "signature_without_visit": ("signed without having visited the unit within the rule book's window before", "签字前规定期限内未走访该对象"),
    "backfilled_visit": ("visit recorded long after it happened", "走访记录补录时间过晚"),
    "visit_outside_tenure": ("visit on a day the visitor held no post", "走访日期不在走访人任职期内"),
    "implausible_travel": ("more travel between one person's visits in a day than distance allows", "同一人一天内走访路程超出可能"),
    "proxy_signature_without_document": ("signature entered on the signer's behalf without a document reference", "代录签字未注明签字文书"),
}


@dataclasses.dataclass(frozen=True)
class Irregularity:
    kind: str
    record_type: str  # "visit" or "signature"
    record_id: str
    person_id: str
    person_name: str
    unit_code: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    detail_en: str
    detail_zh: str


def irregularities(session: Session, *, scope_code: str, first: dt.date, last: dt.date, include_migrated: bool = False) -> list[Irregularity]:
    """Every irregularity under `scope_code` among records that occurred from `first` to `last` (local dates).

    A visit loaded by an import marked as a migration (records of the time before the
    product kept them) is not listed as back-filled unless `include_migrated`: it was
    recorded late by design. Its other irregularities are listed all the same.
    """
    scope = get_unit(session, scope_code, field="unit")
    book = rulebook.in_force(last, otherwise=rulebook.first())
    names = _Names(session)
    found = [
        *_signatures(session, scope, first, last, book, names),
        *_visits(session, scope, first, last, book, names, include_migrated),
    ]
    return sorted(found, key=lambda item: (item.occurred_at, item.kind, item.record_id))


class _Names:
    def __init__(self, session: Session):
        self._session, self._cache = session, {}

    def __call__(self, person_id: str) -> str:
        if person_id not in self._cache:
            person = self._session.get(Person, person_id)
            self._cache[person_id] = person.name if person else person_id
        return self._cache[person_id]


def _local_bounds(first: dt.date, last: dt.date, book: RuleBook) -> tuple[dt.datetime, dt.datetime]:
    return clock.start_of_day(first, book.zone), clock.end_of_day(last, book.zone)


def _signatures(session, scope, first, last, book, names):
    start, end = _local_bounds(first, last, book)
    query = (
        select(Signature, ExitCase)
        .join(ExitCase, ExitCase.id == Signature.case_id)
        .join(OrgUnit, OrgUnit.code == ExitCase.unit_code)
        .where(Subtree.of(scope).clause(OrgUnit.path), Signature.occurred_at >= start, Signature.occurred_at < end)
        .order_by(Signature.occurred_at)
    )
    for signature, case in session.execute(query):
        if signature.on_behalf_of and not signature.document_ref:
            yield _row("proxy_signature_without_document", "signature", signature.id, signature.signer_id, names, case.unit_code, signature,
                       f"entered by account {signature.account} for the signer, with no document reference",
                       f"由账户 {signature.account} 代录,未注明签字文书")
        if signature.decision != "signed":
            continue
        window = rulebook.in_force(rulebook.local_date_of(signature.occurred_at), otherwise=rulebook.first()).signature_visit_window_days
        since = rulebook.local_date_of(signature.occurred_at) - dt.timedelta(days=window)
        visits = visits_query(session, visitor_id=signature.signer_id, occurred_from=since, **_target_of(case))
        visited = session.execute(visits.where(Visit.occurred_at <= signature.occurred_at).limit(1)).first()
        if visited is None:
            yield _row("signature_without_visit", "signature", signature.id, signature.signer_id, names, case.unit_code, signature,
                       f"no visit to {case.level} {case.subject_id} in the {window} days before signing as {signature.role}",
                       f"以{signature.role}身份签字前 {window} 天内未走访{case.subject_id}")


def _target_of(case: ExitCase) -> dict[str, str]:
    """The visit filter that counts as a visit to the case's subject (visits below it count)."""
    if case.level == "county":
        return {"unit_code": case.subject_id}
    return {"target_level": case.level, "target_id": case.subject_id}


def _visits(session, scope, first, last, book, names, include_migrated):
    threshold = dt.timedelta(days=book.backfill_threshold_days)
    migrated = [] if include_migrated else _migrated_runs(session)
    query = visits_query(session, unit_code=scope.code, occurred_from=first, occurred_to=last).order_by(Visit.visitor_id, Visit.occurred_at)
    visits = list(session.execute(query).scalars())
    posts_of: dict[str, list[Post]] = defaultdict(list)
    visitors = sorted({v.visitor_id for v in visits})
    for chunk in range(0, len(visitors), 500):
        for post in session.execute(select(Post).where(Post.person_id.in_(visitors[chunk:chunk + 500]))).scalars():
            posts_of[post.person_id].append(post)
    by_day: dict[tuple[str, dt.date], list[Visit]] = defaultdict(list)
    for visit in visits:
        late = visit.recorded_at - visit.occurred_at
        if late > threshold and not any(start <= visit.recorded_seq <= end for start, end in migrated):
            yield _row("backfilled_visit", "visit", visit.id, visit.visitor_id, names, _unit_of(visit), visit,
                       f"recorded {late.days} days after it happened (threshold {book.backfill_threshold_days})",
                       f"发生后 {late.days} 天才录入(限 {book.backfill_threshold_days} 天)")
        if not any(post.held_on(visit.occurred_on) for post in posts_of[visit.visitor_id]):
            yield _row("visit_outside_tenure", "visit", visit.id, visit.visitor_id, names, _unit_of(visit), visit,
                       f"the visitor held no post on {visit.occurred_on}", f"走访人在 {visit.occurred_on} 无任职")
        if visit.latitude is not None and visit.longitude is not None:
            by_day[(visit.visitor_id, visit.occurred_on)].append(visit)
    for (_person, day), day_visits in by_day.items():
        route = sorted(day_visits, key=lambda v: v.occurred_at)
        km = sum(_distance_km(a, b) for a, b in zip(route, route[1:]))
        if km > book.max_visits_per_day_km:
            last_visit = route[-1]
            yield _row("implausible_travel", "visit", last_visit.id, last_visit.visitor_id, names, _unit_of(last_visit), last_visit,
                       f"{len(route)} visits on {day} need {km:.0f} km of travel (limit {book.max_visits_per_day_km} km)",
                       f"{day} 共走访 {len(route)} 次,路程约 {km:.0f} 公里(上限 {book.max_visits_per_day_km} 公里)")


def _migrated_runs(session: Session) -> list[tuple[int, int]]:
    """The runs of events (first seq, last seq) appended by visit imports marked as migrations."""
    query = select(VisitImport.first_seq, VisitImport.last_seq).where(VisitImport.migration, VisitImport.first_seq.is_not(None))
    return [(start, end) for start, end in session.execute(query)]


def _unit_of(visit: Visit) -> str:
    return visit.village_code or visit.township_code


def _distance_km(a: Visit, b: Visit) -> float:
    """Great-circle distance between two visits' coordinates."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _row(kind, record_type, record_id, person_id, names, unit_code, record, en, zh) -> Irregularity:
    return Irregularity(kind, record_type, record_id, person_id, names(person_id), unit_code, record.occurred_at, record.recorded_at, en, zh)
