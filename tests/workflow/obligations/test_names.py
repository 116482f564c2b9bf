"""Names read for many ids at once (one pass over the table) equal those read by index."""

from __future__ import annotations

from sqlalchemy import select

from sample_data.load import load_sample_data
from workflow.obligations import sources
from workflow.org.models import Household, Person


def test_names_from_one_pass_over_the_table_equal_those_looked_up_by_index(session, monkeypatch):
    load_sample_data(session)
    people = session.execute(select(Person.id)).scalars().all()
    households = session.execute(select(Household.id)).scalars().all()
    asked = {"person": set(people[::2]) | {"nobody"}, "household": set(households[1::3])}
    by_index = {kind: sources.names(session, kind, ids) for kind, ids in asked.items()}
    monkeypatch.setattr(sources, "WHOLE_TABLE", 0)
    by_table = {kind: sources.names(session, kind, ids) for kind, ids in asked.items()}
    assert by_table == by_index
    assert set(by_index["person"]) == set(people[::2]) and len(by_index["household"]) == len(asked["household"]) > 0
