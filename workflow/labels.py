"""What users read for the product's codes: levels, statuses and reasons, in English and Chinese.

One catalogue, so a status reads the same in a refusal, a report file, the CLI and the API
docs. Roles and signature steps are the rule book's own (their `zh` and `en`); the words
for periods are `period()`'s.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple


class Label(NamedTuple):
    en: str
    zh: str

    def __call__(self, language: str) -> str:
        return self.en if language == "en" else self.zh


# Org units, from the top of the tree down, and households.
LEVELS = {
    "province": Label("province", "省"),
    "city": Label("city", "市"),
    "city_unit": Label("city-direct unit", "市直单位"),
    "county": Label("county", "县"),
    "township": Label("township", "乡镇"),
    "village": Label("village", "村"),
    "household": Label("household", "户"),
}

# An exit case's status, which a household also shows (SPEC §1, the exit procedures).
CASE_STATUSES = {
    "registered": Label("registered (not exited)", "已登记(未退出)"),
    "proposed": Label("exit proposed", "已提出退出"),
    "in_notice": Label("in public notice", "公示中"),
    "village_signed": Label("signed by the village", "村级已签字"),
    "city_signed": Label("signed by the city", "市级已签字"),
    "exited": Label("exited", "已退出"),
    "relapsed": Label("relapsed into poverty", "已返贫"),
}

# An obligation's status, and a period's (SPEC §3, Overdue).
OBLIGATION_STATUSES = {
    "overdue": Label("overdue", "逾期"),
    "due": Label("due", "本期待走访"),
    "pending": Label("pending", "尚未走访"),
    "met": Label("met", "已走访"),
    "missed": Label("missed", "漏访"),
    "not_owed": Label("not owed", "不计入"),
}

# Why nobody can sign an exit case yet.
BLOCKED_BY = {
    "notice_period_running": Label("public notice still running", "公示期未满"),
    "objection_open": Label("an objection is open", "有未处理的异议"),
}

# How an objection to a public notice was resolved (异议处理).
OBJECTION_OUTCOMES = {
    "upheld": Label("upheld: the case returns to its start", "异议成立(退回重新启动)"),
    "dismissed": Label("dismissed: signing goes on", "异议不成立(继续签字)"),
}

# Where a registry spell applies (SPEC §3, who counts).
REGISTRIES = {
    "poor_household": Label("poor household", "贫困户"),
    "poor_village": Label("poor village", "贫困村"),
    "poor_county": Label("poor county", "贫困县"),
    "concentrated_township": Label("township with a concentrated poor population", "贫困人口集中乡镇"),
}

# The kinds of team stationed in a village (驻村帮扶).
TEAM_KINDS = {
    "work_team": Label("resident work team", "驻村工作队"),
    "township_group": Label("township work group", "乡镇工作组"),
    "helping_unit": Label("helping unit", "帮扶单位"),
}

# What the work-team report finds wrong with a village or a team on a day.
TEAM_PROBLEMS = {
    "no_work_team": Label("no resident work team", "未派驻工作队"),
    "no_team": Label("no work group or helping unit", "无工作组或帮扶单位"),
    "below_strength": Label("team below strength", "工作队人数不足"),
    "no_first_secretary": Label("no first secretary", "无第一书记"),
}

# A village's plan outcome after its year: its committee's annual performance bonus.
PLAN_OUTCOMES = {
    "bonus": Label("plan completed: bonus", "完成计划,给予绩效奖励"),
    "forfeited": Label("plan not completed: bonus forfeited", "未完成计划,取消绩效奖励"),
}

_CATALOGUES = (LEVELS, CASE_STATUSES, OBLIGATION_STATUSES, BLOCKED_BY, OBJECTION_OUTCOMES, REGISTRIES, TEAM_KINDS, TEAM_PROBLEMS, PLAN_OUTCOMES)


def word(code: str | None, language: str) -> str | None:
    """The label of a level, status or reason code in `language`; the code itself if unknown."""
    if code is None:
        return None
    for catalogue in _CATALOGUES:
        if code in catalogue:
            return catalogue[code](language)
    return code


# ---- periods -----------------------------------------------------------------------

# periods.CalendarPeriod.label: '2018-07', '2018-Q3' or '2018', and a clipped period adds
# its days: '2017[06-01..12-31]'.
_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>\d{2})))?(?:\[(?P<first>\d{2}-\d{2})\.\.(?P<last>\d{2}-\d{2})\])?$")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def period(label: str, language: str) -> str:
    """A period as people write it: 2018年7月, 2018年第3季度, 2017年6月–12月 (Jul 2018,
    Q3 2018, Jun–Dec 2017 in English); a label it does not know comes back as it is."""
    found = _PERIOD.match(label)
    if found is None:
        return label
    year = int(found["year"])
    whole = _whole(year, found["quarter"], found["month"])
    days = (_day(year, found["first"]), _day(year, found["last"])) if found["first"] else whole
    zh = language != "en"
    if days == whole:
        if found["quarter"]:
            return f"{year}年第{found['quarter']}季度" if zh else f"Q{found['quarter']} {year}"
        if found["month"]:
            return f"{year}年{days[0].month}月" if zh else f"{_MONTHS_EN[days[0].month - 1]} {year}"
        return f"{year}年" if zh else str(year)
    span = _span(*days, zh=zh)
    if found["quarter"]:
        return f"{year}年第{found['quarter']}季度({span})" if zh else f"Q{found['quarter']} {year} ({span})"
    return f"{year}年{span}" if zh else f"{span} {year}"


def _whole(year: int, quarter: str | None, month: str | None) -> tuple[dt.date, dt.date]:
    if month:
        first_month = last_month = int(month)
    elif quarter:
        first_month = 3 * int(quarter) - 2
        last_month = first_month + 2
    else:
        first_month, last_month = 1, 12
    following = dt.date(year + last_month // 12, last_month % 12 + 1, 1)
    return dt.date(year, first_month, 1), following - dt.timedelta(days=1)


def _day(year: int, month_day: str) -> dt.date:
    month, day = month_day.split("-")
    return dt.date(year, int(month), int(day))


def _span(first: dt.date, last: dt.date, *, zh: bool) -> str:
    """The days from `first` to `last` of one year: whole months by month, else by day."""
    whole_months = first.day == 1 and (last + dt.timedelta(days=1)).day == 1
    if zh:
        if whole_months:
            return f"{first.month}月" if first.month == last.month else f"{first.month}月–{last.month}月"
        end = f"{last.day}日" if first.month == last.month else f"{last.month}月{last.day}日"
        return f"{first.month}月{first.day}日–{end}"
    if whole_months:
        return _MONTHS_EN[first.month - 1] if first.month == last.month else f"{_MONTHS_EN[first.month - 1]}–{_MONTHS_EN[last.month - 1]}"
    end = f"{last.day}" if first.month == last.month else f"{_MONTHS_EN[last.month - 1]} {last.day}"
    return f"{_MONTHS_EN[first.month - 1]} {first.day}–{end}"


# ---- moments and days ----------------------------------------------------------------
# The one way the pages (and the files' headers) write a moment or a date for people, and
# read the Beijing wall-clock time a form's field sends: in the rule book's zone, with its
# offset, so 2017-10-19T16:00:00Z reads 2017-10-20 00:00 +08:00.


def _zone(zone: dt.tzinfo | None) -> dt.tzinfo:
    if zone is not None:
        return zone
    from workflow import rulebook  # the rule book's zone; imported late: rulebook reads no labels

    return rulebook.books().zone


def offset(moment: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """The zone's UTC offset at `moment` as people write it: +08:00."""
    text = moment.astimezone(_zone(zone)).strftime("%z")
    return f"{text[:3]}:{text[3:]}"


def moment_text(moment: dt.datetime | None, zone: dt.tzinfo | None = None) -> str:
    """A moment in the rule book's zone with its offset: 2017-10-20 00:00 +08:00 (blank for None)."""
    if moment is None:
        return ""
    shown = moment.astimezone(_zone(zone))
    return f"{shown:%Y-%m-%d %H:%M} {offset(shown)}"


def day_text(day: dt.date | None, language: str) -> str:
    """A date as people write it: 2017年10月20日 (20 Oct 2017 in English; blank for None)."""
    if day is None:
        return ""
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}" if language == "en" else f"{day.year}年{day.month}月{day.day}日"


def moment_input(moment: dt.datetime | None, zone: dt.tzinfo | None = None, *, seconds: bool = False) -> str:
    """A moment as an <input type=datetime-local> value: its wall-clock time in the rule book's
    zone, to the minute (with `seconds`, to the second: a moment read back must not move)."""
    if moment is None:
        return ""
    shown = moment.astimezone(_zone(zone))
    return f"{shown:%Y-%m-%dT%H:%M:%S}" if seconds else f"{shown:%Y-%m-%dT%H:%M}"


def moment_from_input(value: object, *, field: str, zone: dt.tzinfo | None = None) -> dt.datetime | None:
    """The moment a form's field names: a datetime-local value is wall-clock time in the rule
    book's zone; text with its own offset keeps it; blank is None. Read by clock.parse_moment,
    so a bad value is refused with its words, naming `field`."""
    from workflow import clock

    if value is None or value == "":
        return None
    text = str(value).strip()
    try:
        naive = dt.datetime.fromisoformat(text)
    except ValueError:
        return clock.parse_moment(text, field=field)  # refused, with the reason
    if naive.tzinfo is None:
        text = naive.replace(tzinfo=_zone(zone)).isoformat()
    return clock.parse_moment(text, field=field)
