"""The web app's pages beside the API calls they wrap: server time, and what a phone downloads.

For a township's recorder and for the city's supervisor, each page is requested through
the app in this process (server time: routing, the domain call, rendering, compression),
beside the API endpoint the page wraps, with the same session and the same parameters;
the page should stay within 1.2x of its API call. Then the recorder's first load as a
browser makes it (the page and every file it loads, gzip-compressed), which should stay
under 150 KB.

    python -m bench.pages                      # the sample data set
    python -m bench.pages --scale 0.1          # the generated Huaihua data set (SPEC §6) at this scale
    python -m bench.pages --db /tmp/bench/huaihua.db   # a copy of an existing database (the file is not written)
    python -m bench.pages --db /tmp/bench/huaihua.db --only "missing signatures"   # some pages only
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from workflow import clock, rulebook
from workflow.accounts import service as accounts
from workflow.accounts import signin
from workflow.db import make_engine, transaction
from workflow.eventlog import Actor
from workflow.migrate import upgrade

BENCH = Actor(account="bench")
PASSWORD = "bench-password-1"


def _database(args, folder: Path) -> str:
    target = folder / "pages.db"
    if args.db:
        shutil.copyfile(args.db, target)
        url = f"sqlite:///{target}"
        upgrade(make_engine(url))
        return url
    if args.scale:
        from bench import dataset

        return dataset.setup_sqlite(target, args.scale, args.year)
    from sample_data.load import load_sample_data

    url = f"sqlite:///{target}"
    engine = make_engine(url)
    upgrade(engine)
    with transaction(engine) as session:
        load_sample_data(session)
    return url


def _account(engine, name: str, role: str, unit: str) -> None:
    with transaction(engine) as session:
        account, _ = accounts.create_account(session, actor=BENCH, name=name, roles=[role], scope_code=unit)
        signin.set_password(session, actor=BENCH, account_id=account.id, password=PASSWORD)


def _timed(client: TestClient, path: str) -> tuple[float, int]:
    started = time.perf_counter()
    answer = client.get(path)
    seconds = time.perf_counter() - started
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    return seconds, len(answer.content)


def _pair(client: TestClient, label: str, page: str, api: str, repeat: int) -> tuple:
    """The page and its API call, alternately (so that a busy machine slows both alike), after one
    warm-up each: (label, page median s, page bytes, API median s, API bytes)."""
    _timed(client, page), _timed(client, api)
    pages, apis = [], []
    for _ in range(repeat):
        pages.append(_timed(client, page))
        apis.append(_timed(client, api))
    return label, statistics.median(t for t, _ in pages), pages[-1][1], statistics.median(t for t, _ in apis), apis[-1][1]


def _sign_in(client: TestClient, name: str) -> None:
    """Sign in as a browser does: the form's token (login CSRF) from the sign-in page first."""
    token = re.search(r'name="signin_token" value="([^"]+)"', client.get("/signin").text).group(1)
    answer = client.post("/signin", data={"signin_token": token, "name": name, "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="copy this SQLite database and measure the copy")
    parser.add_argument("--scale", type=float, help="generate the Huaihua data set at this scale (1 = SPEC §6)")
    parser.add_argument("--year", type=int, default=2017)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--only", help="measure only the pages whose label holds this text (e.g. 'missing signatures')")
    args = parser.parse_args()
    chosen = (lambda pair: args.only in pair[0]) if args.only else (lambda pair: True)
    with tempfile.TemporaryDirectory() as folder:
        url = _database(args, Path(folder))
        engine = make_engine(url)
        with engine.connect() as connection:
            city = connection.execute(text("SELECT code FROM org_unit WHERE level = 'city' ORDER BY code LIMIT 1")).scalar_one()
            # The township with the most posts: a busy recorder's.
            township = connection.execute(text(
                "SELECT u.code FROM org_unit u JOIN post p ON p.unit_code = u.code WHERE u.level = 'township' GROUP BY u.code ORDER BY count(*) DESC, u.code LIMIT 1"
            )).scalar_one()
        _account(engine, "bench-recorder", "recorder", township)
        _account(engine, "bench-supervisor", "supervisor", city)
        app = create_app(engine)
        today = dt.date.today().isoformat()
        rows = []
        with TestClient(app) as client:
            _sign_in(client, "bench-recorder")
            due = "&".join(f"status={s}" for s in ("overdue", "due", "pending"))
            pairs = [
                # 本月待走访 evaluates every due row, as the report's CSV file does (a JSON page stops at its last row).
                ("recorder: 本月待走访", "/recorder", f"/api/v1/reports/overdue-visits?unit={township}&{due}&format=csv"),
                ("recorder: overdue report, township", f"/supervisor/overdue?unit={township}", f"/api/v1/reports/overdue-visits?unit={township}&limit=100"),
            ]
            rows += [_pair(client, *pair, args.repeat) for pair in pairs if chosen(pair)]
            first_load = _first_load(client)
        with TestClient(app) as client:
            _sign_in(client, "bench-supervisor")
            pairs = [
                ("supervisor: overdue report, city", f"/supervisor/overdue?unit={city}", f"/api/v1/reports/overdue-visits?unit={city}&limit=100"),
                ("supervisor: missing signatures, city", f"/supervisor/signatures?unit={city}", f"/api/v1/reports/missing-signatures?unit={city}&limit=500"),
                ("supervisor: scorecard, city", f"/supervisor/scorecard?unit={city}", f"/api/v1/reports/scorecard?unit={city}&limit=300"),
                ("supervisor: incidence, city", f"/supervisor/incidence?unit={city}", f"/api/v1/reports/incidence?unit={city}&from=2014-01-01&every=year&limit=500"),
            ]
            # The same reports read as known at a moment (recorded time): the page's field is
            # Beijing wall-clock time, the API's parameter the same moment with its offset.
            known = clock.now().astimezone(rulebook.books().zone).replace(microsecond=0)
            field, moment = f"{known:%Y-%m-%dT%H:%M:%S}", quote(known.isoformat(), safe="")
            pairs += [
                (f"{label}, as known at a moment", f"{page}&known_at={field}", f"{api}&known_at={moment}")
                for label, page, api in pairs
                if "missing signatures" in label or "scorecard" in label or "incidence" in label
            ]
            rows += [_pair(client, *pair, args.repeat) for pair in pairs if chosen(pair)]
        engine.dispose()
    source = args.db or (f"generated, scale {args.scale}" if args.scale else "sample data")
    print(f"\nPages beside the API calls they wrap ({source}; median of {args.repeat}; as of {today})\n")
    print("| page | page server time | API call | ratio | page bytes | API bytes |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, page_s, page_bytes, api_s, api_bytes in rows:
        print(f"| {label} | {page_s * 1000:,.1f} ms | {api_s * 1000:,.1f} ms | {page_s / api_s:.2f} | {page_bytes:,} | {api_bytes:,} |")
    print(f"\nRecorder's first load, compressed as sent: {first_load / 1024:,.1f} KB (page, CSS, scripts, htmx)")


def _first_load(client: TestClient) -> int:
    """Bytes on the wire for /recorder and every file it loads, gzip as a browser asks."""
    headers = {"Accept-Encoding": "gzip"}
    page = client.get("/recorder", headers=headers)
    total = page.num_bytes_downloaded
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        total += client.get(asset, headers=headers).num_bytes_downloaded
    return total


if __name__ == "__main__":
    main()
