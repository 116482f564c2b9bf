"""The collector paused while a large read runs, and running again once the last such read ends."""

from __future__ import annotations

import gc
import threading

from workflow import gcpause


def test_paused_within_the_block_and_running_after_the_last_one_ends():
    assert gc.isenabled()
    with gcpause.paused():
        assert not gc.isenabled()
        with gcpause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer read is still under way
    assert gc.isenabled()


def test_a_read_ending_in_one_thread_does_not_resume_it_under_another_still_running():
    first_in, second_done, first_may_end = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with gcpause.paused():
            first_in.set()
            first_may_end.wait(5)
            seen["first, after the second ended"] = gc.isenabled()

    def second():
        first_in.wait(5)
        with gcpause.paused():
            pass
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    second_done.wait(5)
    first_may_end.set()
    for thread in threads:
        thread.join(5)
    assert seen == {"first, after the second ended": False}
    assert gc.isenabled()


def test_an_error_in_the_block_resumes_it_and_a_collector_off_before_stays_off():
    try:
        with gcpause.paused():
            raise KeyError("x")
    except KeyError:
        pass
    assert gc.isenabled()
    gc.disable()
    try:
        with gcpause.paused():
            pass
        assert not gc.isenabled()  # it was off before: the read does not turn it on
    finally:
        gc.enable()


def test_a_report_and_a_scorecard_count_with_the_collector_paused_and_leave_it_running(session, monkeypatch):
    import datetime as dt

    from sample_data.load import load_sample_data
    from workflow.obligations import planner, reports
    from workflow.org.models import OrgUnit
    from sqlalchemy import select

    load_sample_data(session)
    city = session.execute(select(OrgUnit.code).where(OrgUnit.level == "city")).scalars().first()
    seen = []

    def watching(real):
        def watched(*args, **kwargs):
            seen.append(gc.isenabled())
            return real(*args, **kwargs)

        return watched

    monkeypatch.setattr(planner, "plan", watching(planner.plan))  # the scorecard's rules
    monkeypatch.setattr(planner, "rows_and_totals", watching(planner.rows_and_totals))  # the report's
    reports.overdue_report(session, unit_code=city, as_of=dt.date(2018, 12, 15), first=10)
    reports.scorecard(session, unit_code=city, as_of=dt.date(2018, 12, 15))
    assert len(seen) >= 2 and not any(seen)
    assert gc.isenabled()


def test_reads_that_always_overlap_still_collect_now_and_then(monkeypatch):
    collected = []
    monkeypatch.setattr(gc, "collect", lambda *args: collected.append(args) or 0)
    clock = [1000.0]
    monkeypatch.setattr(gcpause.time, "monotonic", lambda: clock[0])
    with gcpause.paused():
        for _ in range(6):  # each read starts while another still runs, 5 s after the one before
            clock[0] += gcpause.LONGEST / 2
            with gcpause.paused():
                assert not gc.isenabled()
    assert len(collected) == 2  # once more than 10 s had passed without one: at 15 s and at 30 s
    assert gc.isenabled()
