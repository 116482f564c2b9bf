"""Ending a township's concentrated-poverty designation (贫困人口集中乡镇), the V1 target, by an event."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.factories import build_tree
from workflow.errors import Conflict, DomainError, NotFound
from workflow.eventlog import Event
from workflow.eventlog.replay import rebuild_projections, snapshot
from workflow.org import service as org

D = dt.date
KIND = "concentrated_township"


def _events(session) -> int:
    return session.execute(select(func.count()).select_from(Event)).scalar_one()


def test_ending_a_designation_closes_its_spell_on_the_last_day_through_one_event(session, actor):
    tree = build_tree(session, registered_on=D(2016, 3, 1))
    spell = org.end_unit_registration(session, actor=actor, kind=KIND, code=tree.township, exited_on=D(2018, 6, 15))
    assert (spell.subject_id, spell.registered_on, spell.exited_on) == (tree.township, D(2016, 3, 1), D(2018, 6, 15))
    assert org.open_spell(session, KIND, tree.township) is None
    assert org.was_registered_during(session, KIND, tree.township, D(2018, 6, 15), D(2018, 6, 30))  # the last day is on it
    assert not org.was_registered_during(session, KIND, tree.township, D(2018, 6, 16), D(2018, 12, 31))
    event = session.execute(select(Event).order_by(Event.seq.desc()).limit(1)).scalar_one()
    assert (event.type, event.entity_type, event.entity_id, event.account) == ("registry.ended", "registry_spell", spell.id, actor.account)


def test_an_ended_designation_replays_to_the_same_rows(session, actor):
    tree = build_tree(session)
    org.end_unit_registration(session, actor=actor, kind=KIND, code=tree.township, exited_on=D(2018, 6, 15))
    org.register_poor_unit(session, actor=actor, kind=KIND, code=tree.township, registered_on=D(2019, 3, 1))
    session.commit()
    live = snapshot(session)
    rebuild_projections(session)
    session.commit()
    assert snapshot(session) == live


def test_a_township_designated_again_starts_a_new_spell_only_after_the_last_one_ended(session, actor):
    tree = build_tree(session)
    org.end_unit_registration(session, actor=actor, kind=KIND, code=tree.township, exited_on=D(2018, 6, 15))
    with pytest.raises(Conflict) as refused:
        org.register_poor_unit(session, actor=actor, kind=KIND, code=tree.township, registered_on=D(2018, 6, 15))
    assert (refused.value.code, refused.value.field) == ("overlapping_spell", "registered_on")
    again = org.register_poor_unit(session, actor=actor, kind=KIND, code=tree.township, registered_on=D(2018, 6, 16))
    assert org.open_spell(session, KIND, tree.township).id == again.id


@pytest.mark.parametrize(
    "kind, unit, error, code, field",
    [
        (KIND, "431224999999", NotFound, "org_unit_not_found", "unit"),
        (KIND, "village", DomainError, "not_a_township", "code"),
        (KIND, "county", DomainError, "not_a_township", "code"),
        ("poor_village", "village", DomainError, "exit_case_required", "kind"),
        ("poor_county", "county", DomainError, "exit_case_required", "kind"),
        ("poor_household", "township", DomainError, "invalid_registry", "kind"),
        ("poor_township", "township", DomainError, "invalid_registry", "kind"),
        (KIND, "other_township", Conflict, "not_registered", "code"),  # never designated
    ],
)
def test_ending_is_refused_for_anything_but_an_open_township_designation(session, actor, kind, unit, error, code, field):
    tree = build_tree(session)
    before = _events(session)
    with pytest.raises(error) as refused:
        org.end_unit_registration(session, actor=actor, kind=kind, code=getattr(tree, unit, unit), exited_on=D(2018, 6, 15))
    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.en and refused.value.zh
    assert _events(session) == before


def test_a_village_is_told_it_leaves_its_registry_through_an_exit_case(session, actor):
    tree = build_tree(session)
    with pytest.raises(DomainError) as refused:
        org.end_unit_registration(session, actor=actor, kind="poor_village", code=tree.village, exited_on=D(2018, 6, 15))
    assert "exit case" in refused.value.en and "退出程序" in refused.value.zh


def test_ending_an_already_ended_designation_or_before_it_began_is_refused(session, actor):
    tree = build_tree(session, registered_on=D(2017, 3, 1))
    with pytest.raises(DomainError) as early:
        org.end_unit_registration(session, actor=actor, kind=KIND, code=tree.township, exited_on=D(2017, 2, 28))
    assert (early.value.code, early.value.field) == ("invalid_dates", "exited_on")
    org.end_unit_registration(session, actor=actor, kind=KIND, code=tree.township, exited_on=D(2017, 3, 1))  # a one-day spell
    with pytest.raises(Conflict) as twice:
        org.end_unit_registration(session, actor=actor, kind=KIND, code=tree.township, exited_on=D(2018, 1, 1))
    assert twice.value.code == "not_registered"
