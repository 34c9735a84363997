"""The REST binding (UWS 1.1 §2.2) through a real Starlette app and TestClient."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from vo_models.uws.types import ExecutionPhase

from tests.uws.uws_support import NS, XSI_NIL, UWSHarness, validate_uws


def test_creating_a_job_redirects_to_a_pending_job(uws: UWSHarness) -> None:
    response = uws.client.post("/jobs", data={"MODE": "write", "Text": "one", "text": "two"}, follow_redirects=False)
    assert response.status_code == 303
    job_id = response.headers["location"].rsplit("/", 1)[1]
    root = uws.job_xml(job_id)
    assert root.findtext("uws:phase", namespaces=NS) == "PENDING"
    assert root.findtext("uws:creationTime", namespaces=NS) == "2024-05-01T12:00:00.000Z"
    assert root.findtext("uws:destruction", namespaces=NS) == "2024-05-08T12:00:00.000Z"
    assert root.findtext("uws:executionDuration", namespaces=NS) == "600"
    assert root.find("uws:ownerId", NS).get(XSI_NIL) == "true"
    parameters = [(item.get("id"), item.text) for item in root.findall("uws:parameters/uws:parameter", NS)]
    assert parameters == [("mode", "write"), ("text", "one"), ("text", "two")]
    assert root.findall("uws:results/uws:result", NS) == []


def test_query_string_parameters_and_run_id_at_creation(uws: UWSHarness) -> None:
    response = uws.client.post("/jobs?mode=write", data={"RUNID": "batch-7", "TEXT": "x"}, follow_redirects=False)
    job_id = response.headers["location"].rsplit("/", 1)[1]
    root = uws.job_xml(job_id)
    assert root.findtext("uws:runId", namespaces=NS) == "batch-7"
    ids = [item.get("id") for item in root.findall("uws:parameters/uws:parameter", NS)]
    assert ids == ["mode", "text"]


def test_phase_run_in_the_creation_post_starts_the_job(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "write", "text": "hi", "phase": "run"})
    assert uws.wait_for(job_id, {"COMPLETED", "ERROR"}) == "COMPLETED"
    root = uws.job_xml(job_id)
    assert root.findtext("uws:startTime", namespaces=NS) == "2024-05-01T12:00:00.000Z"
    assert root.findtext("uws:endTime", namespaces=NS) == "2024-05-01T12:00:00.000Z"
    result = root.find("uws:results/uws:result", NS)
    assert result is not None
    assert result.get("id") == "result"
    assert result.get(f"{{{NS['xlink']}}}href") == f"http://testserver/jobs/{job_id}/results/result"
    assert result.get("size") == "2"
    assert result.get("mime-type") == "text/plain"


def test_invalid_parameters_refuse_the_creation(uws: UWSHarness) -> None:
    response = uws.client.post("/jobs", data={"mode": "dance"}, follow_redirects=False)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert "Unknown mode 'dance'" in response.text
    assert uws.service.store.ids_in_phases(list(ExecutionPhase)) == []
    assert uws.client.post("/jobs", data={"PHASE": "GO"}).status_code == 400
    assert uws.client.post("/jobs", data={"PHASE": ["RUN", "ABORT"]}).status_code == 400


def test_unknown_jobs_are_404_with_a_clear_message(uws: UWSHarness) -> None:
    for path in ("/jobs/nosuchjob", "/jobs/nosuchjob/phase", "/jobs/nosuchjob/results", "/jobs/..%2Fx/phase"):
        response = uws.client.get(path)
        assert response.status_code == 404, path
    assert "No job 'nosuchjob' exists" in uws.client.get("/jobs/nosuchjob").text
    assert uws.client.delete("/jobs/nosuchjob").status_code == 404
    assert uws.client.post("/jobs/nosuchjob/phase", data={"PHASE": "RUN"}).status_code == 404


def test_simple_sub_resources_are_text(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "write"}, user="alice")
    headers = {"X-Test-User": "alice"}
    expected = {
        "phase": "PENDING",
        "executionduration": "600",
        "destruction": "2024-05-08T12:00:00.000Z",
        "quote": "",
        "owner": "alice",
    }
    for name, text in expected.items():
        response = uws.client.get(f"/jobs/{job_id}/{name}", headers=headers)
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith("text/plain"), name
        assert response.text == text, name
    anonymous = uws.create({"mode": "write"})
    assert uws.client.get(f"/jobs/{anonymous}/owner").text == ""


def test_execution_duration_is_set_and_clamped(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "write"})
    url = f"/jobs/{job_id}/executionduration"
    response = uws.client.post(url, data={"EXECUTIONDURATION": "120"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"http://testserver/jobs/{job_id}"
    assert uws.client.get(url).text == "120"
    uws.client.post(url, data={"executionDuration": "100000"})
    assert uws.client.get(url).text == "7200"
    uws.client.post(url, data={"EXECUTIONDURATION": "0"})  # unlimited is not granted
    assert uws.client.get(url).text == "7200"
    for bad in ("-1", "ten", "1.5", ""):
        assert uws.client.post(url, data={"EXECUTIONDURATION": bad}).status_code == 400, bad
    assert uws.client.post(url, data={}).status_code == 400


def test_destruction_is_set_and_clamped(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "write"})
    url = f"/jobs/{job_id}/destruction"
    response = uws.client.post(url, data={"DESTRUCTION": "2024-05-03T10:00:00Z"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"http://testserver/jobs/{job_id}"
    assert uws.client.get(url).text == "2024-05-03T10:00:00.000Z"
    uws.client.post(url, data={"destruction": "2024-05-04T10:00:00+02:00"})
    assert uws.client.get(url).text == "2024-05-04T08:00:00.000Z"
    uws.client.post(url, data={"DESTRUCTION": "2030-01-01T00:00:00"})
    assert uws.client.get(url).text == "2024-05-31T12:00:00.000Z"  # creation + 30 days
    root = uws.job_xml(job_id)
    assert root.findtext("uws:destruction", namespaces=NS) == "2024-05-31T12:00:00.000Z"
    assert uws.client.post(url, data={"DESTRUCTION": "next tuesday"}).status_code == 400


def test_read_only_sub_resources_refuse_posts(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "write"})
    for name in ("quote", "owner", "results", "error"):
        assert uws.client.post(f"/jobs/{job_id}/{name}", data={"x": "1"}).status_code == 405, name


def test_parameters_can_change_while_pending_only(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "write", "text": "old", "keep": "1"})
    response = uws.client.post(f"/jobs/{job_id}/parameters", data={"TEXT": "new", "extra": "2"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"http://testserver/jobs/{job_id}"
    root = validate_uws(uws.client.get(f"/jobs/{job_id}/parameters").content)
    assert root.tag == f"{{{NS['uws']}}}parameters"
    items = [(item.get("id"), item.text) for item in root.findall("uws:parameter", NS)]
    assert items == [("mode", "write"), ("text", "new"), ("keep", "1"), ("extra", "2")]
    # UWS 1.1 §2.1.11 also allows posting parameters to the job itself
    uws.client.post(f"/jobs/{job_id}", data={"text": "newer", "RUNID": "r2"})
    root = uws.job_xml(job_id)
    assert root.findtext("uws:runId", namespaces=NS) == "r2"
    assert [item.text for item in root.findall("uws:parameters/uws:parameter[@id='text']", NS)] == ["newer"]
    assert uws.client.post(f"/jobs/{job_id}/parameters", data={"mode": "dance"}).status_code == 400
    uws.run(job_id)
    uws.wait_for(job_id, {"COMPLETED"})
    response = uws.client.post(f"/jobs/{job_id}/parameters", data={"text": "late"})
    assert response.status_code == 403
    assert "COMPLETED" in response.text
    assert uws.client.get(f"/jobs/{job_id}/results/result").text == "newer"


def test_inline_uploads_become_by_reference_parameters(uws: UWSHarness) -> None:
    content = b"<VOTABLE>rows</VOTABLE>"
    response = uws.client.post(
        "/jobs",
        data={"mode": "upload", "source": "mytable", "UPLOAD": "t1,param:MyTable"},
        files={"MyTable": ("t.xml", content, "text/xml")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    job_id = response.headers["location"].rsplit("/", 1)[1]
    root = uws.job_xml(job_id)
    items = {item.get("id"): item for item in root.findall("uws:parameters/uws:parameter", NS)}
    assert items["upload"].text == "t1,param:MyTable"
    assert items["mytable"].get("byReference") == "true"
    assert items["mytable"].text == f"http://testserver/jobs/{job_id}/parameters/mytable"
    download = uws.client.get(f"/jobs/{job_id}/parameters/MyTable")
    assert download.status_code == 200
    assert download.content == content
    assert uws.client.get(f"/jobs/{job_id}/parameters/other").status_code == 404
    uws.run(job_id)
    assert uws.wait_for(job_id, {"COMPLETED", "ERROR"}) == "COMPLETED"
    assert uws.client.get(f"/jobs/{job_id}/results/copy").content == content


def test_uploads_beyond_the_limit_are_413(uws: UWSHarness) -> None:
    too_big = b"x" * (64 * 1024 + 1)
    response = uws.client.post("/jobs", data={"mode": "upload"}, files={"table": ("t", too_big)})
    assert response.status_code == 413
    assert uws.service.files.job_ids_on_disk() == []
    huge_claim = {"Content-Length": str(64 * 1024 * 1024)}
    response = uws.client.post("/jobs", content=b"mode=write", headers=huge_claim)
    assert response.status_code == 413
    response = uws.client.post("/jobs", data={"mode": "write"}, files={"../evil": ("t", b"x")}, follow_redirects=False)
    assert response.status_code == 400


def test_results_stream_the_stored_file_with_its_media_type(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "big", "phase": "RUN"})
    assert uws.wait_for(job_id, {"COMPLETED", "ERROR"}) == "COMPLETED"
    results = validate_uws(uws.client.get(f"/jobs/{job_id}/results").content)
    assert results.tag == f"{{{NS['uws']}}}results"
    (entry,) = results.findall("uws:result", NS)
    response = uws.client.get(f"/jobs/{job_id}/results/result")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert len(response.content) == 32 * 16 * 4096 == int(entry.get("size") or 0)
    assert response.content[:16] == b"0123456789abcdef"
    assert uws.client.get(f"/jobs/{job_id}/results/nothere").status_code == 404


def test_delete_and_action_delete_destroy_the_job_and_its_files(uws: UWSHarness) -> None:
    first = uws.create({"mode": "write", "phase": "RUN"})
    second = uws.create({"mode": "write", "phase": "RUN"})
    for job_id in (first, second):
        uws.wait_for(job_id, {"COMPLETED"})
        assert uws.service.files.result_path(job_id, "result").is_file()
    response = uws.client.delete(f"/jobs/{first}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "http://testserver/jobs"
    response = uws.client.post(f"/jobs/{second}", data={"ACTION": "DELETE"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "http://testserver/jobs"
    for job_id in (first, second):
        assert uws.client.get(f"/jobs/{job_id}").status_code == 404
        assert not uws.service.files.job_dir(job_id).exists()
    third = uws.create({"mode": "write"})
    assert uws.client.post(f"/jobs/{third}", data={"ACTION": "ARCHIVE"}).status_code == 400
    assert uws.phase(third) == "PENDING"


def test_error_resource(uws: UWSHarness) -> None:
    pending = uws.create({"mode": "write"})
    assert uws.client.get(f"/jobs/{pending}/error").status_code == 404
    failed = uws.create({"mode": "usage", "phase": "RUN"})
    assert uws.wait_for(failed, {"ERROR", "COMPLETED"}) == "ERROR"
    root = uws.job_xml(failed)
    summary = root.find("uws:errorSummary", NS)
    assert summary is not None
    assert summary.get("type") == "fatal"
    assert summary.get("hasDetail") == "true"
    assert summary.findtext("uws:message", namespaces=NS) == "The dummy query is wrong"
    response = uws.client.get(f"/jobs/{failed}/error")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    assert b'status="400"' in response.content
    assert b"The dummy query is wrong" in response.content


def test_error_without_a_document_is_plain_text(harness_factory) -> None:  # type: ignore[no-untyped-def]
    uws = harness_factory(job_type_options={"render_error": None})
    job_id = uws.create({"mode": "transient", "phase": "RUN"})
    assert uws.wait_for(job_id, {"ERROR", "COMPLETED"}) == "ERROR"
    summary = uws.job_xml(job_id).find("uws:errorSummary", NS)
    assert summary is not None
    assert (summary.get("type"), summary.get("hasDetail")) == ("transient", "false")
    response = uws.client.get(f"/jobs/{job_id}/error")
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "The dummy store is busy"


def test_internal_errors_leak_nothing(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "crash", "phase": "RUN"})
    assert uws.wait_for(job_id, {"ERROR", "COMPLETED"}) == "ERROR"
    document = uws.client.get(f"/jobs/{job_id}").text
    detail = uws.client.get(f"/jobs/{job_id}/error").text
    for text in (document, detail):
        assert "Internal error while running the job" in text
        assert "secret" not in text
        assert "Traceback" not in text


def test_jobs_of_a_user_are_private(uws: UWSHarness) -> None:
    mine = uws.create({"mode": "write"}, user="alice")
    anonymous = uws.create({"mode": "write"})
    alice, bob = {"X-Test-User": "alice"}, {"X-Test-User": "bob"}
    assert uws.client.get(f"/jobs/{mine}", headers=alice).status_code == 200
    for headers in (bob, {}):
        response = uws.client.get(f"/jobs/{mine}", headers=headers)
        assert response.status_code == 403
        assert "belongs to another user" in response.text
        assert uws.client.post(f"/jobs/{mine}/phase", data={"PHASE": "ABORT"}, headers=headers).status_code == 403
        assert uws.client.delete(f"/jobs/{mine}", headers=headers).status_code == 403
    assert uws.phase(mine, user="alice") == "PENDING"
    # anonymous jobs are open to every client, as in DaCHS
    assert uws.client.get(f"/jobs/{anonymous}", headers=bob).status_code == 200

    def listed(headers: dict[str, str]) -> list[str | None]:
        root = validate_uws(uws.client.get("/jobs", headers=headers).content)
        return [ref.get("id") for ref in root.findall("uws:jobref", NS)]

    assert listed(alice) == [mine]
    assert listed(bob) == []
    assert listed({}) == [anonymous]


def test_phase_transitions_through_the_phase_resource(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "write"})
    url = f"/jobs/{job_id}/phase"
    assert uws.client.post(url, data={}).status_code == 400
    assert uws.client.post(url, data={"PHASE": "SUSPENDED"}).status_code == 400
    response = uws.client.post(url, data={"PHASE": "RUN"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"http://testserver/jobs/{job_id}"
    assert uws.wait_for(job_id, {"COMPLETED"}) == "COMPLETED"
    for phase in ("RUN", "ABORT"):
        response = uws.client.post(url, data={"PHASE": phase})
        assert response.status_code == 403, phase
        assert "COMPLETED" in response.text
    response = uws.client.post(f"/jobs/{job_id}/executionduration", data={"EXECUTIONDURATION": "5"})
    assert response.status_code == 403
    assert uws.phase(job_id) == "COMPLETED"


def test_abort_of_a_pending_job_and_repeated_requests(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "write"})
    url = f"/jobs/{job_id}/phase"
    assert uws.client.post(url, data={"PHASE": "ABORT"}, follow_redirects=False).status_code == 303
    assert uws.phase(job_id) == "ABORTED"
    assert uws.client.post(url, data={"PHASE": "abort"}, follow_redirects=False).status_code == 303
    root = uws.job_xml(job_id)
    assert root.find("uws:endTime", NS).get(XSI_NIL) == "true"
    assert uws.client.post(url, data={"PHASE": "RUN"}).status_code == 403


def test_parameters_refused_at_run_time_put_the_job_in_error(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "write", "reject": "yes"})
    uws.control.reject_at_run = True
    response = uws.client.post(f"/jobs/{job_id}/phase", data={"PHASE": "RUN"}, follow_redirects=False)
    assert response.status_code == 303
    assert uws.phase(job_id) == "ERROR"
    summary = uws.job_xml(job_id).find("uws:errorSummary", NS)
    assert summary is not None
    assert summary.findtext("uws:message", namespaces=NS) == "Rejected when run"
    assert uws.control.started == []


def test_job_list_filters(uws: UWSHarness) -> None:
    created: list[str] = []
    for _ in range(4):
        created.append(uws.create({"mode": "write"}))
        uws.clock.advance(minutes=1)
    uws.client.post(f"/jobs/{created[1]}/phase", data={"PHASE": "ABORT"})
    uws.run(created[2])
    uws.wait_for(created[2], {"COMPLETED"})

    def listed(query: str) -> list[str | None]:
        response = uws.client.get(f"/jobs{query}")
        assert response.status_code == 200, response.text
        root = validate_uws(response.content)
        return [ref.get("id") for ref in root.findall("uws:jobref", NS)]

    newest_first = created[::-1]
    assert listed("") == newest_first
    assert listed("?PHASE=PENDING") == [created[3], created[0]]
    assert listed("?PHASE=ABORTED&PHASE=COMPLETED") == [created[2], created[1]]
    assert listed("?phase=completed") == [created[2]]
    assert listed("?AFTER=2024-05-01T12:01:00Z") == [created[3], created[2]]
    assert listed("?AFTER=2024-05-01T12:00:30.000") == [created[3], created[2], created[1]]
    assert listed("?LAST=2") == [created[3], created[2]]
    assert listed("?LAST=2&PHASE=PENDING&PHASE=ABORTED") == [created[3], created[1]]
    assert listed("?AFTER=2024-05-01T12:00:30Z&LAST=1&PHASE=ABORTED") == [created[1]]
    for bad in ("?PHASE=RUNNING", "?LAST=0", "?LAST=x", "?AFTER=yesterday"):
        assert uws.client.get(f"/jobs{bad}").status_code == 400, bad
    refs = validate_uws(uws.client.get("/jobs?LAST=1").content).findall("uws:jobref", NS)
    assert refs[0].findtext("uws:phase", namespaces=NS) == "PENDING"
    assert refs[0].findtext("uws:creationTime", namespaces=NS) == "2024-05-01T12:03:00.000Z"
    assert refs[0].get(f"{{{NS['xlink']}}}href") == f"http://testserver/jobs/{created[3]}"


def test_archived_jobs_are_listed_only_on_request(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "write"})
    other = uws.create({"mode": "write"})
    job = uws.service.store.get(job_id)
    assert job is not None
    assert uws.service.store.save(replace(job, phase=ExecutionPhase.ARCHIVED))
    ids = [ref.get("id") for ref in validate_uws(uws.client.get("/jobs").content).findall("uws:jobref", NS)]
    assert ids == [other]
    root = validate_uws(uws.client.get("/jobs?PHASE=ARCHIVED").content)
    assert [ref.get("id") for ref in root.findall("uws:jobref", NS)] == [job_id]


@pytest.mark.parametrize("mount", [True, False])
def test_urls_follow_the_mount_point(harness_factory, mount: bool) -> None:  # type: ignore[no-untyped-def]
    uws = harness_factory(mount=mount)
    response = uws.client.post("/jobs/", data={"mode": "write"}, follow_redirects=False)
    if not mount:
        assert response.status_code in (307, 404)  # only the exact base path is a route
        response = uws.client.post("/jobs", data={"mode": "write"}, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("http://testserver/jobs/")
    job_id = location.rsplit("/", 1)[1]
    listing = uws.client.get("/jobs/" if mount else "/jobs")
    refs = validate_uws(listing.content).findall("uws:jobref", NS)
    assert refs[0].get(f"{{{NS['xlink']}}}href") == f"http://testserver/jobs/{job_id}"


def test_times_are_utc_with_z(uws: UWSHarness) -> None:
    uws.clock.now = datetime(2024, 6, 1, 8, 30, 15, 250000, tzinfo=UTC) + timedelta(0)
    job_id = uws.create({"mode": "write"})
    root = uws.job_xml(job_id)
    assert root.findtext("uws:creationTime", namespaces=NS) == "2024-06-01T08:30:15.250Z"


def test_values_xml_cannot_carry_are_refused(uws: UWSHarness) -> None:
    response = uws.client.post("/jobs", data={"mode": "write", "text": "bell\x07"})
    assert response.status_code == 400
    assert "'text'" in response.text
    assert uws.client.post("/jobs", data={"mode": "write", "RUNID": "\x00"}).status_code == 400
    job_id = uws.create({"mode": "write", "text": "ünïcødé 𝄞 <&>"})
    items = uws.job_xml(job_id).findall("uws:parameters/uws:parameter[@id='text']", NS)
    assert [item.text for item in items] == ["ünïcødé 𝄞 <&>"]
    assert uws.client.post(f"/jobs/{job_id}/parameters", data={"text": "\x1b[31m"}).status_code == 400


def test_pyvo_reads_the_job_documents(uws: UWSHarness) -> None:
    from pyvo.io import uws as pyvo_uws

    done = uws.create({"mode": "write", "text": "abc", "RUNID": "r1", "phase": "RUN"})
    failed = uws.create({"mode": "usage", "phase": "RUN"})
    uws.wait_for(done, {"COMPLETED"})
    uws.wait_for(failed, {"ERROR"})
    job = pyvo_uws.parse_job(io.BytesIO(uws.client.get(f"/jobs/{done}").content))
    assert (job.jobid, job.phase, job.runid) == (done, "COMPLETED", "r1")
    assert job.executionduration.sec == 600
    (result,) = job.results
    assert (result.id_, result.href, result.size) == ("result", f"http://testserver/jobs/{done}/results/result", 3)
    error = pyvo_uws.parse_job(io.BytesIO(uws.client.get(f"/jobs/{failed}").content)).errorsummary
    assert (error.type_, error.message.content) == ("fatal", "The dummy query is wrong")
    listing = pyvo_uws.parse_job_list(io.BytesIO(uws.client.get("/jobs").content))
    assert {(item.jobid, item.phase) for item in listing} == {(done, "COMPLETED"), (failed, "ERROR")}
