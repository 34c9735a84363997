"""``corot-vo serve`` as an operator runs it: empty archive, archive lock, port, base_url."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from tests.cli.conftest import Server, one_line, run_cli, start_server


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server started on a data directory that does not exist."""
    server = start_server(tmp_path_factory.mktemp("serve") / "data")
    yield server
    assert server.stop() == 0


def _access_urls(xml: str) -> list[str]:
    return re.findall(r"<accessURL[^>]*>([^<]+)</accessURL>", xml)


def test_empty_archive_is_announced_at_start_up(empty_server: Server) -> None:
    log = empty_server.stderr()
    assert "did not exist: serving an empty archive" in log
    assert "corot-vo demo" in log and "corot-vo ingest" in log
    assert "Traceback" not in log


def test_empty_archive_notice_on_the_landing_page(empty_server: Server) -> None:
    page = httpx.get(f"{empty_server.base}/", timeout=30)
    assert page.status_code == 200
    assert 'id="empty-archive"' in page.text
    assert "corot-vo demo" in page.text and "corot-vo ingest" in page.text


def test_landing_page_of_a_loaded_archive_has_no_notice(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "empty-archive" not in page.text


def test_default_base_url_follows_host_and_port(empty_server: Server) -> None:
    urls = _access_urls(httpx.get(f"{empty_server.base}/tap/capabilities", timeout=30).text)
    assert urls and all(url.startswith(f"{empty_server.base}/") for url in urls)


def test_ingest_while_serving_says_who_holds_the_archive(empty_server: Server, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("not a product\n")
    data_dir = str(empty_server.log.parent / "data")
    result = run_cli("--data-dir", data_dir, "ingest", str(readme))
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert f"in use by process {empty_server.process.pid}" in line
    assert "corot-vo" in line and "serve" in line  # the holder's command line
    assert "stop the server" in line


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["demo", "--if-absent", "--quiet"],
                                     ["hips", "build", "--quiet"]])
def test_other_commands_on_a_served_archive_end_in_one_line(empty_server: Server, command: list[str]) -> None:
    data_dir = str(empty_server.log.parent / "data")
    if command[0] == "serve":
        from tests.conftest import free_port

        command = ["serve", "--port", str(free_port())]
    result = run_cli("--data-dir", data_dir, *command)
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert f"is in use by process {empty_server.process.pid}" in line
    assert line.startswith(f"corot-vo {' '.join(command[:2]) if command[0] == 'hips' else command[0]}: ")


def test_port_in_use(empty_server: Server, tmp_path: Path) -> None:
    result = run_cli("--data-dir", str(tmp_path / "other"), "serve", "--port", str(empty_server.port))
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert f"cannot listen on 127.0.0.1:{empty_server.port}" in line and "--port" in line
    assert httpx.get(f"{empty_server.base}/health", timeout=30).status_code == 200


def test_configured_base_url_wins_over_port(tmp_path: Path, serving: list[Server]) -> None:
    config = tmp_path / "corot-vo.toml"
    config.write_text('base_url = "https://corot.example.org/vo/"\n', encoding="utf-8")
    (tmp_path / "data").mkdir()
    server = start_server(tmp_path / "data", config=config)
    serving.append(server)
    assert re.search(r"the archive in \S+ is empty", server.stderr())
    for path in ("/tap/capabilities", "/scs/capabilities", "/ssa/capabilities"):
        urls = _access_urls(httpx.get(f"{server.base}{path}", timeout=30).text)
        assert urls and all(url.startswith("https://corot.example.org/vo/") for url in urls), (path, urls)
    assert "https://corot.example.org/vo/tap" in httpx.get(f"{server.base}/", timeout=30).text
