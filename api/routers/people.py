"""/api/v1/people: officials and cadres (人员) — read within scope, added by admins."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Response
from pydantic import Field

from api.auth import CurrentCaller
from api.deps import ReadSession, WriteSession
from api.pagination import Cursor, Limit, Page, keyset
from api.routers.posts import PostView
from api.routing import WRITE_PROBLEMS, resource_router
from api.schemas import Body, Id, View
from workflow.accounts import access, scope
from workflow.org import service as org
from workflow.org.models import Person

router = resource_router("people 人员")


class PersonView(View):
    id: str = Field(examples=["3f2b9c0e8d4a4f5b9a1c2d3e4f5a6b7c"])
    name: str = Field(examples=["舒建国"])
    gender: str | None = Field(None, examples=["male"])


class PersonDetail(PersonView):
    posts: list[PostView] = Field(description="The person's posts (任职) within the caller's scope.")


class PersonCreate(Body):
    name: str = Field(min_length=1, max_length=128, examples=["瞿翠兰"])
    id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="Kept when given (e.g. from a roster); generated otherwise.")
    gender: Literal["male", "female"] | None = Field(None, examples=["female"])


@router.get("/people", response_model=Page[PersonView], summary="List people in scope / 人员列表")
def list_people(
    caller: CurrentCaller,
    session: ReadSession,
    name: Annotated[str | None, Query(max_length=128, description="Exact name.", examples=["舒建国"])] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[PersonView]:
    """People the caller may see (those with a post in its scope, or added by it and not yet posted), by name."""
    query = scope.people(caller)
    if name is not None:
        query = query.where(Person.name == name)
    rows, next_cursor = keyset(session, query, Person.id, cursor=cursor, limit=limit)
    return Page(items=[PersonView.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/people/{person_id}", response_model=PersonDetail, summary="One person and their posts / 人员及任职")
def get_person(person_id: Id, caller: CurrentCaller, session: ReadSession) -> PersonDetail:
    """A person and every post they hold or held (任职)."""
    person = scope.person(session, caller, person_id)
    posts = session.execute(scope.posts(caller).where(scope.Post.person_id == person.id).order_by(scope.Post.start_date)).scalars()
    return PersonDetail(**PersonView.model_validate(person).model_dump(), posts=[PostView.model_validate(p) for p in posts])


@router.post("/people", status_code=201, response_model=PersonView, responses=WRITE_PROBLEMS, summary="Add a person / 新增人员")
def add_person(body: PersonCreate, caller: CurrentCaller, session: WriteSession, response: Response) -> PersonView:
    """Add a person (admins). Until given a post, they are visible only to the account that added them."""
    access.require(caller, access.REGISTRY)
    person = org.add_person(session, actor=caller.actor(), name=body.name, person_id=body.id, gender=body.gender)
    response.headers["Location"] = f"/api/v1/people/{person.id}"
    return PersonView.model_validate(person)
