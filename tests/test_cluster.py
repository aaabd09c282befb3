"""Scraping on a Dask cluster writes the bytes of a local run: on a local cluster, through a scheduler and
workers started as separate processes, with a worker killed mid-run; a file that kills its worker each time is
listed as unreadable; workers that cannot see the inputs and a missing Dask are one-line errors."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import dask
import distributed
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filewriter import write_dataset, write_file_meta_info

from dicomref.formats.scraped import read_records
from dicomref.formats.unreadable import read_unreadable, unreadable_path
from dicomref.scrape import ScrapeInput, ScrapeOptions, scrape
from dicomref.scrape.tasks import KILLED
from tests.test_hostile import CT_SMALL, TIME_LIMIT, build_tree

T = TypeVar("T")
DASK = Path(sys.executable).with_name("dask")
WAIT = 120  # seconds: the upper bound on waiting for a condition, never a pause


def dicomref_scrape(paths: list[Path], out: Path, *options: str) -> list[str]:
    command = [sys.executable, "-m", "dicomref", "scrape", *map(str, paths), "--out", str(out)]
    return [*command, "--jobs", "2", "--time-limit", TIME_LIMIT, *options]


def run(command: list[str], **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env={**os.environ, **environment})


def outputs(out: Path) -> tuple[bytes, bytes]:
    return out.read_bytes(), unreadable_path(out).read_bytes()


@dataclass(frozen=True)
class Reference:
    """Inputs and what a local run (two worker processes) wrote for them."""

    paths: list[Path]
    out: Path


def local_reference(paths: list[Path], folder: Path, *options: str) -> Reference:
    out = folder / "scraped.jsonl"
    result = run(dicomref_scrape(paths, out, *options))
    assert result.returncode == 0, result.stderr
    return Reference(paths, out)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    """The hostile-input set, and its local scrape."""
    root = tmp_path_factory.mktemp("hostile") / "hostile"
    build_tree(root)
    try:
        yield local_reference([root], root.parent / "local")
    finally:
        (root / "perm" / "locked_folder").chmod(0o755)


@dataclass
class Processes:
    """A scheduler and workers started as `dask scheduler` and `dask worker` would be on other machines."""

    folder: Path
    address: str = ""
    scheduler: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)

    def start_scheduler(self) -> None:
        command = [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0"]
        self.scheduler = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=self.folder)
        found = threading.Event()
        lines: list[str] = []

        def read_log() -> None:  # keeps draining the log, so the scheduler never blocks on a full pipe
            for line in self.scheduler.stderr:
                lines.append(line)
                if "Scheduler at:" in line and not found.is_set():
                    self.address = line.split("Scheduler at:")[1].strip()
                    found.set()
            found.set()

        threading.Thread(target=read_log, daemon=True).start()
        assert found.wait(WAIT) and self.address.startswith("tcp://127.0.0.1:"), "".join(lines)

    def start_worker(self, *wrapper: str) -> subprocess.Popen:
        """A worker without a nanny: killing its process removes it for good."""
        command = [*wrapper, str(DASK), "worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard"]
        worker = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.folder)
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(WAIT)


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Processes, distributed.Client]]:
    """A scheduler on 127.0.0.1 with two workers, each a process of its own; and a client to watch them."""
    started = Processes(tmp_path_factory.mktemp("dask"))
    try:
        started.start_scheduler()
        started.start_worker()
        started.start_worker()
        with distributed.Client(started.address) as client:
            client.wait_for_workers(2, timeout=WAIT)
            yield started, client
    finally:
        started.stop()


def test_a_local_cluster_writes_the_bytes_of_a_local_run(hostile: Reference, tmp_path: Path) -> None:
    out = tmp_path / "scraped.jsonl"
    result = run(dicomref_scrape(hostile.paths, out, "--cluster", "local"))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert outputs(out) == outputs(hostile.out)
    assert out.read_bytes().count(b"\n") > 10 and b"took longer than the time limit" in outputs(out)[1]


def test_the_corpora_on_a_local_cluster(corpora: Path, tmp_path: Path) -> None:
    reference = local_reference([corpora], tmp_path / "local")
    out = tmp_path / "cluster" / "scraped.jsonl"
    result = run(dicomref_scrape([corpora], out, "--cluster", "local"))
    assert result.returncode == 0, result.stderr
    assert outputs(out) == outputs(reference.out)
    records = out.read_bytes().count(b"\n")
    print(f"\n{records} records, byte for byte those of the local run")


def test_scrape_through_a_scheduler_address(
    hostile: Reference, processes: tuple[Processes, distributed.Client], tmp_path: Path
) -> None:
    started, _ = processes
    out = tmp_path / "scraped.jsonl"
    result = run(dicomref_scrape(hostile.paths, out, "--cluster", started.address))
    assert result.returncode == 0, result.stderr
    assert outputs(out) == outputs(hostile.out)


def test_a_cut_short_run_resumes_on_the_cluster(
    hostile: Reference, processes: tuple[Processes, distributed.Client], tmp_path: Path
) -> None:
    """The output a run killed midway leaves (half the records, a last line cut short) is completed by the cluster."""
    started, _ = processes
    out = tmp_path / "scraped.jsonl"
    lines = hostile.out.read_bytes().splitlines(keepends=True)
    kept = len(lines) // 2
    out.write_bytes(b"".join(lines[:kept]) + lines[kept][:40])
    result = run(dicomref_scrape(hostile.paths, out, "--cluster", started.address))
    assert result.returncode == 0, result.stderr
    assert f"({kept} already done)" in result.stderr
    assert outputs(out) == outputs(hostile.out)


def test_all_files_on_the_cluster(hostile: Reference, processes: tuple[Processes, distributed.Client]) -> None:
    started, _ = processes
    local = local_reference(hostile.paths, hostile.out.parent.parent / "all-files-local", "--all-files")
    out = hostile.out.parent.parent / "all-files-cluster" / "scraped.jsonl"
    result = run(dicomref_scrape(hostile.paths, out, "--all-files", "--cluster", started.address))
    assert result.returncode == 0, result.stderr
    assert outputs(out) == outputs(local.out)
    assert out.read_bytes().count(b"\n") > hostile.out.read_bytes().count(b"\n")


def test_an_unreachable_scheduler_is_one_line(hostile: Reference, tmp_path: Path) -> None:
    port = closed_port()
    command = dicomref_scrape(hostile.paths, tmp_path / "scraped.jsonl", "--cluster", f"tcp://127.0.0.1:{port}")
    result = run(command, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="1s")
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")
    assert result.stderr.count("\n") == 1


def test_workers_that_cannot_see_the_inputs_are_one_line(
    processes: tuple[Processes, distributed.Client], tmp_path: Path
) -> None:
    """A worker where the input folder is an empty mount point: its own mount namespace, a tmpfs over the folder."""
    started, client = processes
    hidden = tmp_path / "hidden"
    shutil.copytree(CT_SMALL.parent, hidden, ignore=lambda folder, names: [n for n in names if n != CT_SMALL.name])
    probe = run(["unshare", "--mount", "--propagation", "private", "true"])
    if probe.returncode != 0:
        pytest.skip(f"cannot make a mount namespace here: {probe.stderr.strip()}")
    blind = started.start_worker(
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        f'mount -t tmpfs none "{hidden}" && exec "$@"',
        "-",
    )
    try:
        client.wait_for_workers(3, timeout=WAIT)
        result = run(dicomref_scrape([hidden], tmp_path / "out" / "scraped.jsonl", "--cluster", started.address))
    finally:
        blind.terminate()
        blind.wait(WAIT)
    assert result.returncode == 2
    assert result.stderr.startswith("error: the Dask worker at tcp://127.0.0.1:")
    assert f"cannot see {hidden / CT_SMALL.name}: workers must read the inputs at the same paths" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "out" / "scraped.jsonl").exists()
    wait_until(lambda: len(client.nthreads()) == 2)


def test_a_worker_killed_mid_run_loses_nothing(
    hostile: Reference, processes: tuple[Processes, distributed.Client], tmp_path: Path
) -> None:
    """The worker is killed once the scheduler reports it running a task: the probe of the batch holding the zip
    bomb, which takes the whole time limit."""
    started, client = processes
    pids = client.run(os.getpid)
    out = tmp_path / "scraped.jsonl"
    scraping = subprocess.Popen(
        dicomref_scrape(hostile.paths, out, "--cluster", started.address), stderr=subprocess.PIPE, text=True
    )
    try:
        busy = wait_until(lambda: next((worker for worker, keys in client.processing().items() if keys), None))
        victim = next(worker for worker in started.workers if worker.pid == pids[busy])
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(WAIT) == -signal.SIGKILL
        assert scraping.poll() is None, "the scrape ended before the worker was killed"
    finally:
        _, stderr = scraping.communicate(timeout=600)
    assert scraping.returncode == 0, stderr
    assert outputs(out) == outputs(hostile.out)
    assert busy not in client.nthreads()
    started.start_worker()  # two workers again for any test that follows
    client.wait_for_workers(2, timeout=WAIT)


def wait_until(condition: Callable[[], T]) -> T:
    """The condition's first true value, checked until WAIT seconds have passed."""
    limit = time.monotonic() + WAIT
    while time.monotonic() < limit:
        if value := condition():
            return value
        time.sleep(0.01)
    raise AssertionError("the condition never held")


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on: bound, then closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def deflated_bomb(path: Path, inflated_bytes: int) -> None:
    """A deflated DICOM file whose dataset inflates to `inflated_bytes`: pydicom inflates it whole, in memory.

    Its series is found from the head (inflated lazily), so it is a reading of the whole file that blows up.
    """
    dataset = Dataset()
    dataset.SOPClassUID = pydicom.uid.SecondaryCaptureImageStorage
    dataset.Modality = "OT"
    dataset.SeriesInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["deflated bomb"])
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = dataset.SOPClassUID
    meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["deflated bomb instance"])
    meta.TransferSyntaxUID = pydicom.uid.DeflatedExplicitVRLittleEndian
    head = pydicom.filebase.DicomBytesIO()
    head.is_little_endian, head.is_implicit_VR = True, False
    write_file_meta_info(head, meta)
    body = pydicom.filebase.DicomBytesIO()
    body.is_little_endian, body.is_implicit_VR = True, False
    write_dataset(body, dataset)
    chunk = 1 << 24
    document = struct.pack("<HH2sHI", 0x0042, 0x0011, b"OB", 0, inflated_bytes)  # Encapsulated Document
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    with open(path, "wb") as handle:
        handle.write(bytes(128) + b"DICM" + head.getvalue())
        handle.write(compressor.compress(body.getvalue() + document))
        for _ in range(inflated_bytes // chunk):
            handle.write(compressor.compress(bytes(chunk)))
        handle.write(compressor.flush())


def test_a_file_that_kills_its_worker_each_time_is_listed(tmp_path: Path) -> None:
    """Workers limited to 400 MB are killed by their nanny while inflating 1 GB, each time the file is read: once
    in its task, once more when the task runs again one file per task (Dask gives up on a task after
    allowed-failures + 1 deaths)."""
    folder = tmp_path / "archive"
    folder.mkdir()
    shutil.copy(CT_SMALL, folder / "a_ct.dcm")
    deflated_bomb(folder / "b_bomb.dcm", 1 << 30)
    shutil.copy(Path(pydicom.data.get_testdata_file("MR_small.dcm")), folder / "c_mr.dcm")
    out = tmp_path / "scraped.jsonl"
    given_up = SchedulerLog()
    with (
        given_up,
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, memory_limit="400MB", dashboard_address="127.0.0.1:0"
        ) as cluster,
    ):
        scrape([ScrapeInput("archive", folder)], out, ScrapeOptions(time_limit=0, cluster=cluster.scheduler_address))
    assert [record["source"]["path"] for record in read_records(out)] == ["a_ct.dcm", "c_mr.dcm"]
    assert read_unreadable(unreadable_path(out)) == [("archive/b_bomb.dcm", KILLED)]


def test_a_batch_dask_gives_up_on_is_probed_file_by_file(hostile: Reference, tmp_path: Path) -> None:
    """With no failure allowed, killing the worker running the probe batch makes Dask give up on it (KilledWorker):
    its files are probed one task each, and the output is still that of a local run."""
    out = tmp_path / "scraped.jsonl"
    given_up = SchedulerLog()
    with (
        given_up,
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pids = client.run(os.getpid)
        command = dicomref_scrape(hostile.paths, out, "--cluster", cluster.scheduler_address)
        scraping = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        try:
            busy = wait_until(lambda: next((worker for worker, keys in client.processing().items() if keys), None))
            assert any(key.startswith("probe_batch") for key in client.processing()[busy])
            os.kill(pids[busy], signal.SIGKILL)
        finally:
            _, stderr = scraping.communicate(timeout=600)
    assert scraping.returncode == 0, stderr
    assert any("probe_batch" in line and "marked as failed" in line for line in given_up.lines), given_up.lines
    assert outputs(out) == outputs(hostile.out)


class SchedulerLog(logging.Handler):
    """The messages of the scheduler running in this process, while in the `with` block."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def __enter__(self) -> SchedulerLog:
        logging.getLogger("distributed.scheduler").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("distributed.scheduler").removeHandler(self)


def test_without_dask_cluster_says_how_to_install_it(tmp_path: Path) -> None:
    """Dask made unimportable, as it is where dicomref is installed without the cluster extra."""
    program = "import sys; sys.modules['distributed'] = None; from dicomref.cli import app; app(prog_name='dicomref')"
    command = [sys.executable, "-c", program, "scrape", str(CT_SMALL), "--out", str(tmp_path / "scraped.jsonl")]
    result = run([*command, "--cluster", "local"])
    assert result.returncode == 2
    assert result.stderr == "error: --cluster needs Dask: pip install 'dicomref[cluster]'\n"
    assert not (tmp_path / "scraped.jsonl").exists()
