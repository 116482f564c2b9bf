"""/api/v1/posts: who holds which role where, from when to when (任职) — admins write."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query, Response
from pydantic import Field

from api.asof import AsOf, KnownAt
from api.auth import CurrentCaller
from api.deps import ReadSession, WriteSession
from api.pagination import Cursor, Limit, Page, keyset
from api.routing import WRITE_PROBLEMS, resource_router
from api.schemas import Body, Day, Id, View
from workflow.accounts import access, scope
from workflow.eventlog.versions import known_records
from workflow.posts import service as posts
from workflow.posts.models import Post

router = resource_router("posts 任职")


class PostView(View):
    id: str
    person_id: str
    role: str = Field(examples=["township_party_secretary"])
    unit_code: str = Field(examples=["431224100000"])
    start_date: dt.date = Field(description="First day in post.", examples=["2016-01-01"])
    end_date: dt.date | None = Field(None, description="Last day in post (inclusive); null while held.")
    held: bool | None = Field(None, description="With as_of: whether the post was held that day. 当日是否在任。")


class PostCreate(Body):
    person_id: str = Field(min_length=1, max_length=64)
    role: str = Field(min_length=1, max_length=64, examples=["village_director"])
    unit_code: str = Field(min_length=1, max_length=32, examples=["431224100201"])
    start_date: Day = Field(examples=["2017-07-15"])
    end_date: Day | None = None


class SpanEnd(Body):
    end_date: Day = Field(description="The last day (inclusive).", examples=["2017-07-14"])


@router.get("/posts", response_model=Page[PostView], summary="List posts in scope / 任职列表")
def list_posts(
    caller: CurrentCaller,
    session: ReadSession,
    unit: Annotated[str | None, Query(max_length=32, description="Posts at exactly this unit.")] = None,
    person: Annotated[str | None, Query(max_length=64)] = None,
    role: Annotated[str | None, Query(max_length=64, examples=["township_head"])] = None,
    on: Annotated[Day | None, Query(description="Only posts held on this day.")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[PostView]:
    """Posts (任职) at units in the caller's scope: at one unit, of one person, of one role, or held on a day."""
    query = scope.posts(caller)
    if unit is not None:
        query = query.where(Post.unit_code == unit)
    if person is not None:
        query = query.where(Post.person_id == person)
    if role is not None:
        query = query.where(Post.role == role)
    if on is not None:
        query = query.where(Post.start_date <= on, (Post.end_date.is_(None)) | (Post.end_date >= on))
    rows, next_cursor = keyset(session, query, Post.id, cursor=cursor, limit=limit)
    return Page(items=[PostView.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/posts/{post_id}", response_model=PostView, summary="One post / 单个任职")
def get_post(post_id: Id, caller: CurrentCaller, session: ReadSession, as_of: AsOf = None, known_at: KnownAt = None) -> PostView:
    """The post; `as_of`: whether it was held that day; `known_at`: as the log held it then (an end date entered later is not shown)."""
    with known_records(session, known_at) as records:
        post = scope.post(records, caller, post_id)
        view = PostView.model_validate(post)
        if as_of is not None:
            view.held = post.held_on(as_of)
    return view


@router.post("/posts", status_code=201, response_model=PostView, responses=WRITE_PROBLEMS, summary="Assign a post / 任命")
def assign_post(body: PostCreate, caller: CurrentCaller, session: WriteSession, response: Response) -> PostView:
    """Put a person in a role at a unit within scope from `start_date` (admins)."""
    access.require(caller, access.REGISTRY)
    scope.unit(session, caller, body.unit_code, field="unit_code")
    post = posts.assign_post(session, actor=caller.actor(), **body.model_dump())
    response.headers["Location"] = f"/api/v1/posts/{post.id}"
    return PostView.model_validate(post)


@router.post("/posts/{post_id}/end", response_model=PostView, responses=WRITE_PROBLEMS, summary="End a post / 免职")
def end_post(post_id: Id, body: SpanEnd, caller: CurrentCaller, session: WriteSession) -> PostView:
    """Record the last day in post (admins)."""
    access.require(caller, access.REGISTRY)
    scope.post(session, caller, post_id)
    return PostView.model_validate(posts.end_post(session, actor=caller.actor(), post_id=post_id, end_date=body.end_date))
