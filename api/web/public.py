"""The public notice pages (互联网+监督): no sign-in, no cookie, nothing but what a paper notice shows.

/public/notices lists the exit cases in their notice period (公示) by county, township and
village; /public/notices/{unit} those under one unit. Each notice has an objection form
posting to /public/notices/case/{id}/objection, which hands it to workflow.notices (and so
to the very command staff use); the objector is sent to their receipt's page. Each notice
shows the hash of the event that published it and the newest signed checkpoint;
/public/proof recomputes a notice event's hash for anyone who kept it (docs/AUDIT.md).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import ReadSession, WriteSession
from api.limits import MAX_PUBLIC_FORM_BODY, read_body
from api.web.render import page
from workflow.audit.checkpoint import newest_kept
from workflow.notices import service as notices


async def public_request(request: Request) -> None:
    """Refusals render as pages; a form's body is read no further than MAX_PUBLIC_FORM_BODY (413 beyond, saying so)."""
    request.state.page = True
    if request.method == "POST":
        await read_body(request, MAX_PUBLIC_FORM_BODY)
        request.state.form = await request.form()


router = APIRouter(dependencies=[Depends(public_request)], include_in_schema=False)

PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _client(request: Request) -> str:
    """The address the flood limit counts: the peer (uvicorn --proxy-headers puts the real one there behind a proxy)."""
    return request.client.host if request.client else "unknown"


# Notices shown on one page; beyond, the page lists the villages with their counts, each a link
# to its own page (a city's year-end notices run to thousands: a page of them helps nobody).
PAGE_NOTICES = 100


def _listing(request: Request, session, unit_code: str | None) -> Response:
    places = notices.notice_places(session, scope_code=unit_code)
    many = sum(place.notices for place in places) > PAGE_NOTICES and len(places) > 1  # one village's are all shown
    running = [] if many else notices.notices_running(session, scope_code=unit_code)
    checkpoint = newest_kept(session)
    return page(
        request,
        "public_notices.html",
        notices=running,
        places=places if many else [],
        unit_code=unit_code,
        checkpoint=checkpoint,
        statement=notices.checkpoint_statement(checkpoint) if checkpoint else None,
        limits={"grounds": notices.MAX_GROUNDS, "name": notices.MAX_NAME, "per_window": notices.OBJECTIONS_PER_WINDOW},
    )


@router.get("/public/notices")
def all_notices(request: Request, session: ReadSession) -> Response:
    """Every notice running now, with its objection form and its proof."""
    return _listing(request, session, None)


@router.get("/public/notices/{unit_code}")
def unit_notices(request: Request, unit_code: str, session: ReadSession) -> Response:
    """The notices running under one village, township or county."""
    return _listing(request, session, unit_code[:32])


@router.post("/public/notices/case/{case_id}/objection")
def lodge(request: Request, case_id: str, session: WriteSession) -> Response:
    """An objection from the form: on to its receipt's page (or a refusal in Chinese, having written nothing)."""
    form = request.state.form
    fields = {name: value if isinstance(value, str) else None for name in ("grounds", "name", "phone") for value in [form.get(name)]}
    _, number = notices.lodge_public_objection(session, case_id=case_id[:64], client=_client(request), **fields)
    return RedirectResponse(f"/public/receipts/{number}?new=1", status_code=303, headers=PRIVATE)


@router.get("/public/receipts")
def receipt_lookup(request: Request, number: str | None = None) -> Response:
    """Where an objector types their receipt number."""
    if number:
        return RedirectResponse(f"/public/receipts/{quote(notices.normal_receipt(number)[:20], safe='-')}", status_code=303, headers=PRIVATE)
    response = page(request, "public_receipt.html", receipt=None, number=None, new=False)
    response.headers.update(PRIVATE)
    return response


@router.get("/public/receipts/{number}")
def receipt_page(request: Request, number: str, session: ReadSession, new: bool = False) -> Response:
    """Whether the objection is still being looked into, or was upheld or dismissed, and why."""
    found = notices.receipt(session, number[:40])
    response = page(request, "public_receipt.html", receipt=found, number=notices.normal_receipt(number), new=new)
    response.headers.update(PRIVATE)
    return response


@router.get("/public/proof")
def proof(request: Request, session: ReadSession, seq: int | None = None, hash: str | None = None) -> Response:
    """Recompute a published notice event's hash and compare it with the one kept from the page."""
    checked = notices.prove_notice(session, seq=seq, published_hash=(hash or "")[:64]) if seq is not None else None
    checkpoint = checked.checkpoint if checked else newest_kept(session)
    return page(request, "public_proof.html", proof=checked, seq=seq, hash=hash or "", checkpoint=checkpoint,
                statement=notices.checkpoint_statement(checkpoint) if checkpoint else None)
