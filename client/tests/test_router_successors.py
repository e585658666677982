"""The router follows a retired offering's stated successor, only when asked (issue 16).

A real fake provider on 127.0.0.1 serves ``alpha-70b-v2``; the catalog says ``alpha-70b`` (the
model ``test-70b``'s only offering there) is retired with ``alpha-70b-v2`` as its successor.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fake_openai import KEYS, FakeProvider, catalog_document, offering_record, provider_record

from knollm import Catalog, Router
from knollm.router import NoCandidates, route_of

HI = [{"role": "user", "content": "hi"}]


def document() -> dict[str, Any]:
    old = offering_record("alpha", "test-70b", "alpha-70b", 0.5, 1.5)
    old.update(status="retired", deprecation_date="2025-06-01", successor="alpha-70b-v2")
    new = offering_record("alpha", "test-70b-v2", "alpha-70b-v2", 0.4, 1.2)
    return catalog_document([provider_record("alpha", "https://alpha.invalid/v1")], [old, new])


@pytest.fixture
def alpha() -> Any:
    fake = FakeProvider("alpha")
    fake.start()
    yield fake
    fake.stop()


def router(alpha: FakeProvider, **options: Any) -> Router:
    catalog = Catalog.from_bytes(orjson.dumps(document()))
    return Router(
        catalog,
        keys={"alpha": KEYS["alpha"]},
        base_urls={"alpha": alpha.base_url},
        timeout=2.0,
        usage=False,
        **options,
    )


def test_a_retired_model_is_not_routed_by_default(alpha: FakeProvider) -> None:
    with pytest.raises(NoCandidates):
        router(alpha).chat.completions.create(model="test-70b", messages=HI)
    assert alpha.seen == []


def test_follow_successors_sends_the_successor(alpha: FakeProvider) -> None:
    r = router(alpha, follow_successors=True)
    reply = r.chat.completions.create(model="test-70b", messages=HI)
    assert route_of(reply).offering.provider_model_id == "alpha-70b-v2"
    # named exactly, the retired id is replaced too
    r.chat.completions.create(model="alpha/alpha-70b", messages=HI)
    assert [s.model for s in alpha.seen] == ["alpha-70b-v2", "alpha-70b-v2"]
