"""test_api.py — /api/items speaks JSON whatever happens: every refusal a client of the API
can meet (no login, a wrong or unreadable login, too many failed logins) is a JSON error
object with the HTTP headers a browser or script needs, never an HTML page."""
import json
import uuid

import pytest

from server_fixture import (DEMO_PASSWORD, DEMO_USER, load_items, server_env,  # noqa: F401
                            showtable_factory)

AUTH = (DEMO_USER, DEMO_PASSWORD)


@pytest.fixture(scope="module")
def table(dynalite):
    name = "t-" + uuid.uuid4().hex[:12]
    load_items(dynalite, name, [{"itemID": {"S": f"a-{i}"}} for i in range(3)])
    return name


@pytest.fixture
def srv(showtable_factory, aws_env, dynalite, table):
    return showtable_factory(env=server_env(aws_env, dynalite),
                             args=["--table", table, "--login-failures", "2"]).start()


def json_error(status, h, body, want):
    assert status == want, body[:200]
    assert h["content-type"].startswith("application/json")
    doc = json.loads(body)
    assert doc["error"]["status"] == want and doc["error"]["title"]
    return doc


@pytest.mark.parametrize("auth", [None, (DEMO_USER, "wrong"), "Basic !!!", "Bearer x"])
def test_api_401_is_json_with_a_basic_challenge(srv, auth):
    status, h, body = srv.get("/api/items", auth=auth)
    json_error(status, h, body, 401)
    assert h["www-authenticate"].startswith('Basic realm="showtable"')


def test_api_429_after_failed_logins_is_json_with_retry_after(srv):
    for _ in range(2):
        assert srv.get("/api/items", auth=(DEMO_USER, "guess"))[0] == 401
    status, h, body = srv.get("/api/items", auth=(DEMO_USER, "guess"))
    json_error(status, h, body, 429)
    assert h["retry-after"] == "60"


def test_pages_still_answer_401_as_html(srv):
    status, h, body = srv.get("/query")
    assert status == 401 and h["content-type"].startswith("text/html") and b"<html" in body.lower()
    assert srv.get("/api/items", auth=AUTH)[0] == 200
