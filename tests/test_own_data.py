"""docs/own-data.md as a new user follows it: its manifest and commands run as written; `serve` and `scrape` say
clearly what they will not do."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file

from dicomref.datasets import load_manifest
from tests.conftest import REPO

GUIDE = REPO / "docs" / "own-data.md"
DICOMREF = Path(sys.executable).parent / "dicomref"
# The exports' folder names and values that identify: none may reach the site.
EXPORT_FOLDER = "Zebedee_Quokkaplanted_18991231"
STATION = "QuokkaStation7"
MAKE = "Zebrastripe Imaging"  # a make identifies nobody: published, and found by the site's search


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)


def commands(block: str) -> list[str]:
    return [line.strip() for line in block.splitlines() if line.strip() and not line.startswith("#")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{DICOMREF.parent}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "80"}
    return subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def exports(folder: Path) -> None:
    """Real files as a PACS might export them: a patient's name in the folder, the station's name in the file."""
    for index, name in enumerate(("CT_small.dcm", "MR_small.dcm")):
        ds = pydicom.dcmread(get_testdata_file(name))
        ds.StationName, ds.SecondaryCaptureDeviceManufacturer = STATION, MAKE
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = f"1.2.826.0.1.3680043.8.498.9{index}"
        (folder / "exports" / EXPORT_FOLDER).mkdir(parents=True, exist_ok=True)
        ds.save_as(folder / "exports" / EXPORT_FOLDER / name)
    (folder / "trial").mkdir()
    shutil.copy(get_testdata_file("rtplan.dcm"), folder / "trial" / "plan.dcm")


@pytest.fixture(scope="module")
def followed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[subprocess.CompletedProcess]]:
    """The guide's manifest written to mine/datasets.toml, its files in place, its commands run in order."""
    cwd = tmp_path_factory.mktemp("own-data")
    (manifest,) = blocks("toml")
    (cwd / "mine").mkdir()
    (cwd / "mine" / "datasets.toml").write_text(manifest, encoding="utf-8")
    exports(cwd / "mine")
    check, *_serve = blocks("sh")
    results = [run(command, cwd) for command in commands(check)]
    return cwd, results


def test_the_manifest_shows_every_key_and_each_privacy_choice() -> None:
    (manifest,) = blocks("toml")
    for key in ("name", "path", "description", "licence", "deidentified", "public", "attribution", "package"):
        assert re.search(rf"^#? ?{key} = ", manifest, flags=re.M), key
    assert {"folder", "pip"} <= set(re.findall(r"^(\w+) = ", manifest, flags=re.M))


def test_the_guide_commands_run_as_written(followed) -> None:
    cwd, results = followed
    for result in results:
        assert result.returncode == 0, (result.args, result.stderr)
    datasets, build, coverage, show, search = results
    assert "our-exports" in datasets.stdout and "only what cannot identify" in datasets.stdout
    assert max(len(line) for line in datasets.stdout.splitlines()) <= 80
    assert (cwd / "mine" / "site" / "index.html").is_file() and (cwd / "mine" / "aggregate.json").is_file()
    assert not (cwd / "data").exists() and not (cwd / "site").exists()  # nothing beside the default build's place
    assert "Copies" in coverage.stdout and max(len(line) for line in coverage.stdout.splitlines()) <= 80
    assert "(0018,0050)" in show.stdout and "(0018,0050)" in search.stdout
    assert [d.name for d in load_manifest(cwd / "mine" / "datasets.toml")] == [
        "our-exports",
        "our-trial",
        "pydicom-charset-files",
    ]


def test_nothing_identifying_from_the_exports_is_published(followed) -> None:
    cwd, _ = followed
    published = [cwd / "mine" / "aggregate.json", *(p for p in (cwd / "mine" / "site").rglob("*") if p.is_file())]
    for path in published:
        data = path.read_bytes()
        for secret in (EXPORT_FOLDER, "Quokkaplanted", STATION):
            assert secret.encode() not in data, f"{secret} in {path}"
    station = json.loads((cwd / "mine" / "site" / "api" / "attributes" / "00081010.json").read_text())
    assert any(e["withheld"] and "our-exports" in e["datasets"] for e in station["examples"])
    show = run("dicomref show StationName --aggregate mine/aggregate.json", cwd)
    assert show.returncode == 0 and "withheld" in show.stdout and STATION not in show.stdout


def test_serve_as_written_answers_search_from_the_site_it_serves(followed) -> None:
    """The guide's serve command (on a free port: 8000 may be taken on a shared machine), stopped once it serves."""
    cwd, _ = followed
    (serve,) = commands(blocks("sh")[1])
    port = free_port()
    command = serve.replace("--port 8000", f"--port {port}")
    assert command != serve
    env = {**os.environ, "PATH": f"{DICOMREF.parent}{os.pathsep}{os.environ['PATH']}"}
    # A session of its own, so that stopping it stops the serve process the shell started, not only the shell.
    with subprocess.Popen(
        command, shell=True, cwd=cwd, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as process:
        try:
            line = ""
            while "Serving" not in line:
                line = process.stderr.readline()
                assert line or process.poll() is None, "serve stopped before serving"
            query = urllib.parse.quote(MAKE.split()[0])
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q={query}&limit=3") as response:
                rows = json.loads(response.read())
            assert [row["tag"] for row in rows] == ["00181016"]  # a make only this site's examples hold
        finally:
            os.killpg(process.pid, signal.SIGTERM)


def test_a_busy_port_is_one_line_before_anything_serves(followed) -> None:
    cwd, _ = followed
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(f"dicomref serve mine/site --port {port}", cwd)
    assert result.returncode == 2 and "Serving" not in result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: port {port} is already in use on 127.0.0.1: choose another with --port"
    ]


def test_scrape_refuses_to_add_to_an_output_of_other_inputs(followed) -> None:
    cwd, _ = followed
    scraped = cwd / "mine" / "scraped.jsonl"
    before = scraped.read_bytes()
    result = run("dicomref scrape mine/trial --out mine/scraped.jsonl", cwd)
    assert result.returncode == 2 and scraped.read_bytes() == before
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: mine/scraped.jsonl already holds records of other inputs (our-exports")
    assert "--resume" in line
    resumed = run("dicomref scrape mine/trial --out mine/scraped.jsonl --resume", cwd)
    assert resumed.returncode == 0, resumed.stderr
    assert scraped.read_bytes().startswith(before)
