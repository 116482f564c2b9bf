"""Random sequences of commands on one household's exit keep the procedure's invariants:
never exited without every required signature, every signature from a holder of its post,
and the state replayed from the log equal to the live state."""

import datetime as dt

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlmodel import Session, select

from tests.factories import ADMIN, EXIT_SIGNING_POSTS, build_tree, passing_assessment, person_in_post
from tests.workflow.exits.steps import HOUSEHOLD, OPENED, household_case
from workflow import clock, rulebook
from workflow.errors import DomainError
from workflow.eventlog.replay import rebuild_projections, snapshot
from workflow.exits import service as exits
from workflow.exits.machines import procedure, step_ahead
from workflow.exits.models import Signature
from workflow.org.models import Household
from workflow.org.service import registry_spells
from workflow.posts import service as posts

ROLES = ["village_party_secretary", "village_director", "township_party_secretary", "township_head", "county_head"]
# The director's post changes hands on 20 July 2017, so random moments meet both sides of it.
HANDOVER = dt.date(2017, 7, 20)
PEOPLE = ROLES[:4] + ["successor_director", "outsider"]


class HouseholdExitCommands(RuleBasedStateMachine):
    """One household and its exit cases, in one transaction that is rolled back at the end."""

    def __init__(self, engine):
        super().__init__()
        self.session = Session(engine, expire_on_commit=False)
        tree = build_tree(self.session)
        self.people = {role: person_in_post(self.session, name=EXIT_SIGNING_POSTS[role][0], role=role, unit=getattr(tree, EXIT_SIGNING_POSTS[role][1])) for role in ROLES[:4]}
        director_post = posts.posts_of(self.session, self.people["village_director"])[0]
        posts.end_post(self.session, actor=ADMIN, post_id=director_post.id, end_date=HANDOVER - dt.timedelta(days=1))
        self.people["successor_director"] = person_in_post(self.session, name="新任村主任", role="village_director", unit=tree.village, start=HANDOVER)
        self.people["outsider"] = person_in_post(self.session, name="乡镇干部", role="township_cadre", unit=tree.township)
        self.units = {"village": tree.village, "township": tree.township}
        self.case_id = household_case(self.session, tree, through="registered").id
        self.moment = OPENED

    def teardown(self):
        self.session.rollback()
        self.session.close()

    def _try(self, command, **arguments):
        """Run a command as it would run for a user: refused ones leave nothing behind."""
        try:
            with self.session.begin_nested():
                command(self.session, actor=ADMIN, occurred_at=self.moment, **arguments)
        except DomainError:
            pass

    @rule(actions=st.integers(min_value=1, max_value=8))
    def follow_the_procedure(self, actions):
        """Take up to `actions` right steps, so random runs reach exits and relapses, not only refusals."""
        for _ in range(actions):
            case = exits.get_case(self.session, self.case_id)
            if case.status == "registered":
                self.propose(passes=True)
            elif case.status == "proposed":
                self.post_notice()
            elif case.status == "in_notice" and self.moment < case.notice_ends_at:
                self.moment = case.notice_ends_at
            elif any(o.outcome is None for o in exits.objections_of(self.session, case.id)):
                self.resolve_objection(upheld=False)
            elif case.status == "exited":
                self.relapse()
            elif case.status == "relapsed":
                self.open_new_case()
            else:
                self._sign_next_missing_role(case)

    def _sign_next_missing_role(self, case):
        book = rulebook.in_force(rulebook.local_date_of(self.moment))
        step = step_ahead(procedure(book, "household"), case.status)
        done = {s.role for s in exits.signatures_of(self.session, case.id) if s.attempt == case.attempt and s.step == step.id}
        role = next(r for r in step.roles if r not in done)
        day = clock.local_date(self.moment, book.zone)
        [holder] = posts.holders(self.session, unit_code=self.units[step.unit_level], role=role, on=day)
        self._try(exits.sign, case_id=case.id, role=role, signer_id=holder.person_id)

    @rule(hours=st.integers(min_value=1, max_value=96))
    def time_passes(self, hours):
        self.moment += dt.timedelta(hours=hours)

    @rule(passes=st.booleans())
    def propose(self, passes):
        assessment = passing_assessment() if passes else passing_assessment(housing=False)
        self._try(exits.propose, case_id=self.case_id, assessment=assessment)

    @rule()
    def post_notice(self):
        self._try(exits.post_notice, case_id=self.case_id)

    @rule()
    def lodge_objection(self):
        self._try(exits.lodge_objection, case_id=self.case_id, lodged_by="村民", grounds="收入存疑")

    @rule(upheld=st.booleans())
    def resolve_objection(self, upheld):
        for objection in exits.objections_of(self.session, self.case_id):
            if objection.outcome is None:
                outcome = "upheld" if upheld else "dismissed"
                self._try(exits.resolve_objection, objection_id=objection.id, outcome=outcome, resolution="核实")

    @rule(role=st.sampled_from(ROLES), who=st.sampled_from(PEOPLE))
    def sign(self, role, who):
        self._try(exits.sign, case_id=self.case_id, role=role, signer_id=self.people[who])

    @rule(role=st.sampled_from(ROLES), who=st.sampled_from(PEOPLE))
    def reject(self, role, who):
        self._try(exits.reject, case_id=self.case_id, role=role, signer_id=self.people[who], reason="不同意")

    @rule()
    def relapse(self):
        self._try(exits.relapse, household_id=HOUSEHOLD, reason="因病返贫")

    @rule()
    def open_new_case(self):
        self._try(exits.open_case, level="household", subject_id=HOUSEHOLD)
        self.case_id = exits.cases_of(self.session, level="household", subject_id=HOUSEHOLD)[-1].id

    @invariant()
    def never_exited_without_every_required_signature(self):
        for case in exits.cases_of(self.session, level="household", subject_id=HOUSEHOLD):
            if case.status not in ("exited", "relapsed"):
                continue
            signed = {(s.step, s.role) for s in exits.signatures_of(self.session, case.id) if s.attempt == case.attempt and s.decision == "signed"}
            book = rulebook.in_force(rulebook.local_date_of(case.exited_at))
            assert signed == {(step.id, role) for step in procedure(book, "household") for role in step.roles}

    @invariant()
    def every_signature_comes_from_a_holder_of_its_post(self):
        for signature in self.session.execute(select(Signature)).scalars():
            day = rulebook.local_date_of(signature.occurred_at)
            holders = posts.holders(self.session, unit_code=signature.unit_code, role=signature.role, on=day)
            assert signature.signer_id in {post.person_id for post in holders}

    @invariant()
    def the_household_and_its_registry_follow_its_latest_case(self):
        latest = exits.cases_of(self.session, level="household", subject_id=HOUSEHOLD)[-1]
        status = self.session.get(Household, HOUSEHOLD).status
        assert status == ("registered" if latest.status == "relapsed" else latest.status)
        open_spells = [s for s in registry_spells(self.session, "poor_household", HOUSEHOLD) if s.exited_on is None]
        assert len(open_spells) == (0 if status == "exited" else 1)

    @invariant()
    def replaying_the_log_reproduces_the_live_state(self):
        self.session.flush()
        live = snapshot(self.session)
        rebuild_projections(self.session)
        assert snapshot(self.session) == live


def test_random_commands_keep_the_exit_invariants(engine):
    run_state_machine_as_test(
        lambda: HouseholdExitCommands(engine),
        settings=settings(max_examples=25, stateful_step_count=20, deadline=None),
    )
