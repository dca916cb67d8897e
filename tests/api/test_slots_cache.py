"""The slots answer on a cache hit: one company query and one cache read, nothing else."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


def url(service_id) -> str:
    return f"/api/v1/companies/practice/slots?service={service_id}&from=2026-12-02&to=2026-12-08"


def test_a_cache_hit_reads_the_company_and_one_cache_entry(client, practice):
    first = client.get(url(practice.service.id))
    assert first.status_code == 200 and first.json()["slots"]
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(url(practice.service.id))
    assert again.content == first.content
    sqls = [q["sql"] for q in ctx.captured_queries]
    # The company row (with the availability version), then the answer: a query on the
    # database cache, a Redis GET (no SQL) when REDIS_URL is set, as in CI.
    cache_reads = 0 if settings.REDIS_URL else 1
    assert len(sqls) == 1 + cache_reads, sqls
    assert '"companies_company"' in sqls[0]
    assert all("rendezvous_cache" in sql for sql in sqls[1:])


def test_a_service_switched_off_is_404_although_its_answer_was_cached(
    client, practice, django_capture_on_commit_callbacks
):
    assert client.get(url(practice.service.id)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        practice.service.active = False
        practice.service.save()
    r = client.get(url(practice.service.id))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_an_unknown_service_is_404(client, practice):
    r = client.get(url(999_999))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
