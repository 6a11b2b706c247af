"""Behavioural tests of autograder.sandbox: each runs a tiny python -c program inside a sandbox."""

from __future__ import annotations

import json
import os
import selectors
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from autograder.sandbox import IsolationLevel, Limits, Sandbox, SandboxUnavailable, detect_isolation
from autograder.sandbox import detect as detect_module
from autograder.sandbox.cgroups import find_layout

PY = sys.executable
BASE_ENV = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp"}
ADDED_BY_RUNTIME = {"PWD", "LC_CTYPE"}  # bwrap sets PWD after --chdir; Python's PEP 538 locale coercion sets LC_CTYPE
DEADLINE = 15.0

Start = Callable[..., Sandbox]


def level_for(name: str) -> IsolationLevel:
    """The isolation level ``name``, or skip visibly when this machine cannot provide it."""
    try:
        return detect_isolation(require=name)
    except SandboxUnavailable as exc:
        pytest.skip(f"bwrap unusable here: {exc}")


@pytest.fixture(params=["bwrap", "bwrap-rlimits-only", "process"])
def level(request: pytest.FixtureRequest) -> IsolationLevel:
    """Each level; "bwrap-rlimits-only" is bwrap as on a host without writable cgroups."""
    if request.param == "bwrap-rlimits-only":
        return replace(level_for("bwrap"), cgroups=False)
    return level_for(request.param)


@pytest.fixture
def bwrap_level() -> IsolationLevel:
    return level_for("bwrap")


def leftover_cgroups() -> list[Path]:
    """Cgroup directories this test process created and has not removed (yet)."""
    layout = find_layout()
    if layout is None:
        return []
    return [p for base in layout.bases.values() for p in base.glob(f"autograder-sandbox-{os.getpid()}-*")]


@pytest.fixture
def start() -> Iterator[Start]:
    """Factory that starts sandboxes and always closes them, then checks that none of their cgroups is left
    (this process may hold other sandboxes, e.g. another test file's shared reference under pytest -n)."""
    started: list[Sandbox] = []
    before = set(leftover_cgroups())

    def _start(code: str, level: IsolationLevel, *, limits: Limits = Limits(), env: dict[str, str] | None = None,
               read_only: tuple[Path, ...] = (), scratch: tuple[Path, ...] = ()) -> Sandbox:
        sandbox = Sandbox.start([PY, "-c", code], read_only=read_only, scratch=scratch,
                                env=BASE_ENV if env is None else env, limits=limits, level=level, cwd=Path("/"))
        started.append(sandbox)
        return sandbox

    try:
        yield _start
    finally:
        for sandbox in started:
            sandbox.close()
    assert sorted(set(leftover_cgroups()) - before) == []


def finish(sandbox: Sandbox, stdin: bytes = b"") -> tuple[str, str, int | None]:
    """Feed stdin, read stdout/stderr to EOF (bounded by DEADLINE), return them with the exit status."""
    sandbox.stdin.write(stdin)
    sandbox.stdin.close()
    chunks: dict[str, list[bytes]] = {"out": [], "err": []}
    with selectors.DefaultSelector() as sel:
        sel.register(sandbox.stdout, selectors.EVENT_READ, "out")
        sel.register(sandbox.stderr, selectors.EVENT_READ, "err")
        deadline = time.monotonic() + DEADLINE
        while sel.get_map() and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=0.5):
                data = os.read(key.fd, 65536)
                if data:
                    chunks[key.data].append(data)
                else:
                    sel.unregister(key.fileobj)
    return b"".join(chunks["out"]).decode(), b"".join(chunks["err"]).decode(), sandbox.wait(DEADLINE)


def read_line(sandbox: Sandbox) -> str:
    """One stdout line, waiting at most DEADLINE seconds."""
    with selectors.DefaultSelector() as sel:
        sel.register(sandbox.stdout, selectors.EVENT_READ)
        assert sel.select(timeout=DEADLINE), "sandbox printed nothing in time"
    return sandbox.stdout.readline().decode()


def marked_processes(marker: str) -> list[int]:
    """Pids whose command line contains ``marker`` (zombies have an empty one)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            pass
    return pids


def gone(marker: str, within: float = 2.0) -> bool:
    """Whether every process marked with ``marker`` has ended (SIGKILLed processes take a moment to exit)."""
    deadline = time.monotonic() + within
    while marked_processes(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def new_marker() -> str:
    return f"sandbox-test-{uuid.uuid4().hex}"


def test_roundtrip_and_clean_environment(start: Start, level: IsolationLevel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADER_SECRET", "s3cr3t-value")
    code = """
import json, os, sys
data = sys.stdin.buffer.read()
try:
    pid1 = open("/proc/1/environ", "rb").read().decode(errors="replace")
except OSError as exc:
    pid1 = repr(exc)
print(json.dumps({"echo": data.decode().upper(), "env": dict(os.environ), "pid1": pid1}))
"""
    out, err, rc = finish(start(code, level, env={**BASE_ENV, "ONLY_THIS": "yes"}), b"ping")
    assert rc == 0, err
    result = json.loads(out)
    assert result["echo"] == "PING"
    assert set(result["env"]) - ADDED_BY_RUNTIME == set(BASE_ENV) | {"ONLY_THIS"}
    assert "s3cr3t-value" not in out


def test_filesystem_allowlist(start: Start, bwrap_level: IsolationLevel, tmp_path: Path) -> None:
    hidden, ro, rw = tmp_path / "hidden", tmp_path / "ro", tmp_path / "rw"
    for directory in (hidden, ro, rw):
        directory.mkdir()
    (hidden / "hidden.txt").write_text("secret")
    (ro / "given.txt").write_text("input")
    code = f"""
import json, os
def attempt(path, megabytes=0):
    try:
        with open(path, "wb") as f:
            f.write(b"x")
            for _ in range(megabytes):
                f.write(bytes(2**20))
        return "written"
    except OSError as exc:
        return os.strerror(exc.errno)
print(json.dumps({{
    "hidden": os.path.exists({str(hidden / "hidden.txt")!r}),
    "shadow": os.path.exists("/etc/shadow"),
    "read": open({str(ro / "given.txt")!r}).read(),
    "ro_write": attempt({str(ro / "new.txt")!r}),
    "rw_write": attempt({str(rw / "out.txt")!r}),
    "rw_read": open({str(rw / "out.txt")!r}).read(),
    "elsewhere": [attempt(path) for path in ("/planted.py", "/tmp/planted.py", {str(tmp_path / "planted.py")!r},
                                             "/dev/planted")],
    "floods": [attempt(path, megabytes=12) for path in ({str(rw / "flood")!r}, "/dev/shm/flood")],
}}))
"""
    out, err, rc = finish(start(code, bwrap_level, read_only=(ro,), scratch=(rw,), limits=Limits(scratch_mb=8)))
    assert rc == 0, err
    result = json.loads(out)
    assert result["hidden"] is False and result["shadow"] is False
    assert result["read"] == "input"
    assert result["ro_write"] in (os.strerror(30), os.strerror(13))  # EROFS / EACCES
    assert not (ro / "new.txt").exists()
    # the scratch folder takes writes, in a tmpfs of the sandbox's own: the host's folder stays empty
    assert result["rw_write"] == "written" and result["rw_read"] == "x"
    assert list(rw.iterdir()) == []
    # nothing else takes writes: not the sandbox's root, /tmp or /dev, nor the folders made there to hold the mounts
    # (a module left in one on sys.path would be imported by the grader's processes)
    assert result["elsewhere"] == [os.strerror(30)] * 4  # EROFS
    # and the writable folders are capped (here 8 MiB each), so no flood reaches the host's disk or memory
    assert result["floods"] == [os.strerror(28)] * 2  # ENOSPC


def test_no_network_no_capabilities(start: Start, bwrap_level: IsolationLevel) -> None:
    code = """
import json, os, socket
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2).close()
    outside = "connected"
except OSError as exc:
    outside = type(exc).__name__
status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)
print(json.dumps({"ifaces": [name for _, name in socket.if_nameindex()], "outside": outside,
                  "capeff": status["CapEff"].strip(), "uid": os.getuid()}))
"""
    out, err, rc = finish(start(code, bwrap_level))
    assert rc == 0, err
    result = json.loads(out)
    assert result["ifaces"] == ["lo"]
    assert result["outside"] != "connected"
    assert int(result["capeff"], 16) == 0
    assert result["uid"] == 65534


def test_memory_bomb_fails(start: Start, level: IsolationLevel) -> None:
    code = """
chunks = []
try:
    while len(chunks) < 24:
        chunks.append(bytearray(b"\\x01") * (64 << 20))
    print("ALLOCATED", flush=True)
except MemoryError:
    print("MemoryError", flush=True)
"""
    sandbox = start(code, level, limits=Limits(memory_mb=512))
    out, _, rc = finish(sandbox)
    assert "ALLOCATED" not in out
    assert "MemoryError" in out or sandbox.oom_killed(), f"rc={rc} out={out!r}"


def test_memory_cgroup_limits_the_whole_tree(start: Start, level: IsolationLevel) -> None:
    if not level.cgroups:
        pytest.skip("no writable memory cgroup on this machine")
    code = """
import os, time
for _ in range(4):
    if os.fork() == 0:
        block = bytearray(b"\\x01") * (150 << 20)  # under the per-process RLIMIT_DATA, 600 MiB in all
        time.sleep(30)
        os._exit(0)
print("FORKED", flush=True)
while True:
    os.wait()
"""
    sandbox = start(code, level, limits=Limits(memory_mb=256))
    assert read_line(sandbox).strip() == "FORKED"
    deadline = time.monotonic() + DEADLINE
    while not sandbox.oom_killed() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox.oom_killed()


def test_fork_bomb_is_contained(start: Start, level: IsolationLevel) -> None:
    if not level.cgroups and os.geteuid() == 0:
        pytest.skip("no pids cgroup and running as root (RLIMIT_NPROC is ignored): the bomb would not be contained")
    marker = new_marker()
    code = f"""
import os, time  # {marker}
while True:
    try:
        os.fork()
    except OSError:
        print("LIMIT", flush=True)
        time.sleep(0.2)
"""
    began = time.monotonic()
    sandbox = start(code, level, limits=Limits(max_processes=32))
    assert read_line(sandbox).strip() == "LIMIT"
    assert len(marked_processes(marker)) <= 32
    sandbox.close()
    assert gone(marker), marked_processes(marker)
    assert time.monotonic() - began < DEADLINE


def test_setsid_grandchild_is_killed(start: Start, level: IsolationLevel) -> None:
    if not level.cgroups and level.name == "process":
        pytest.skip("without cgroups a setsid() grandchild escapes killpg at the process level (sandbox.md §0.3)")
    marker = new_marker()
    code = f"""
import os, time  # {marker}
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(60)
    os._exit(0)
print("READY", flush=True)
time.sleep(60)
"""
    sandbox = start(code, level)
    assert read_line(sandbox).strip() == "READY"
    time.sleep(0.2)  # let the daemonized grandchild start
    assert len(marked_processes(marker)) >= 2
    sandbox.close()
    assert gone(marker), marked_processes(marker)


def test_kill_busy_loop_is_prompt(start: Start, level: IsolationLevel) -> None:
    sandbox = start("print('READY', flush=True)\nwhile True: pass", level)
    assert read_line(sandbox).strip() == "READY"
    began = time.monotonic()
    sandbox.kill()
    assert time.monotonic() - began < 2.0
    assert sandbox.returncode is not None
    sandbox.kill()  # idempotent
    sandbox.close()
    sandbox.close()


def test_rlimits_are_applied(start: Start) -> None:
    code = """
import json, resource
print(json.dumps({name: resource.getrlimit(getattr(resource, name))[0]
                  for name in ("RLIMIT_DATA", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CORE", "RLIMIT_CPU")}))
"""
    limits = Limits(memory_mb=1024, file_size_mb=3, open_files=100, cpu_seconds=30)
    out, err, rc = finish(start(code, level_for("process"), limits=limits))
    assert rc == 0, err
    assert json.loads(out) == {"RLIMIT_DATA": 1024 << 20, "RLIMIT_FSIZE": 3 << 20, "RLIMIT_NOFILE": 100,
                               "RLIMIT_CORE": 0, "RLIMIT_CPU": 30}


def test_detect_isolation_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    weak = detect_isolation(require="process")
    assert weak.name == "process" and not weak.network_isolated and not weak.filesystem_isolated
    monkeypatch.setenv("AUTOGRADER_ISOLATION", "process")
    assert detect_isolation().name == "process"
    with pytest.raises(ValueError):
        detect_isolation(require="docker")
    monkeypatch.setattr(detect_module, "bwrap_problem", lambda: "the bwrap executable is not installed")
    with pytest.raises(SandboxUnavailable, match="bwrap executable is not installed"):
        detect_isolation(require="bwrap")
    monkeypatch.delenv("AUTOGRADER_ISOLATION")
    assert detect_isolation().name == "process"


def test_ci_grades_at_the_strong_isolation_level() -> None:
    """CI installs bubblewrap (.ci/install-os-packages) and must test the strong level, not silently skip it."""
    if not os.environ.get("CI"):
        pytest.skip("outside CI the strongest available level is used, whatever it is")
    assert detect_isolation().name == "bwrap"


def test_gpu_device_nodes_are_bound_only_where_they_exist(tmp_path: Path) -> None:
    from autograder.sandbox.bwrap import gpu_mounts

    assert gpu_mounts(tmp_path) == []
    for name in ("nvidia0", "nvidiactl", "nvidia-uvm", "null", "nvidia-modeset-not-a-gpu"):
        (tmp_path / name).touch()
    args = gpu_mounts(tmp_path)
    bound = [args[i + 1] for i, arg in enumerate(args) if arg == "--dev-bind"]
    assert sorted(Path(p).name for p in bound) == ["nvidia-uvm", "nvidia0", "nvidiactl"]
    assert args[-3:] == ["--ro-bind", "/sys", "/sys"]


def test_a_present_gpu_is_in_the_bwrap_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake /dev with two GPUs, the UVM and MIG nodes: each is device-bound at its /dev path, after bwrap's own
    /dev (which would hide it) and before /dev goes read-only, with /sys read-only for the driver's lookups."""
    from autograder.sandbox import bwrap as bwrap_module

    (tmp_path / "nvidia-caps").mkdir()
    for name in ("nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-caps/nvidia-cap1",
                 "null"):
        (tmp_path / name).touch()
    real = bwrap_module.gpu_mounts
    monkeypatch.setattr(bwrap_module, "gpu_mounts", lambda: real(tmp_path))
    cmd = bwrap_module.bwrap_command("/usr/bin/bwrap", ["/usr/bin/python3"], mounts=[], scratch_mb=8, env={},
                                     cwd=Path("/tmp/work"))
    binds = {cmd[i + 2]: cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--dev-bind"}
    names = ("nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-caps/nvidia-cap1")
    assert binds == {f"/dev/{name}": str(tmp_path / name) for name in names}
    first = min(i for i, arg in enumerate(cmd) if arg == "--dev-bind")
    assert cmd.index("--dev") < first < cmd.index("--remount-ro")
    assert cmd[cmd.index("--dev") + 1] == "/dev" and cmd[cmd.index("--remount-ro") + 1] == "/dev"
    assert "/sys" in [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--ro-bind"]
    assert cmd[-2:] == ["--", "/usr/bin/python3"]


def test_the_graders_choice_of_gpus_reaches_the_sandbox_and_nothing_else_of_its_environment(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """CUDA_VISIBLE_DEVICES and the CUDA libraries' path, as the grader has them set, go into the sandbox's
    environment; other variables of the grader's do not."""
    from autograder.judge.session import GPU_VARIABLES, Session

    session = Session(tmp_path, level=detect_isolation(), limits=Limits())
    for name in GPU_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AUTOGRADER_SECRET_OF_THE_GRADER", "kept out")
    assert not set(GPU_VARIABLES) & set(session._env(str(tmp_path)))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    monkeypatch.setenv("LD_LIBRARY_PATH", "/usr/local/nvidia/lib64")
    env = session._env(str(tmp_path))
    assert env["CUDA_VISIBLE_DEVICES"] == "1" and env["LD_LIBRARY_PATH"] == "/usr/local/nvidia/lib64"
    assert "AUTOGRADER_SECRET_OF_THE_GRADER" not in env


@pytest.mark.parametrize("caps", [True, False])
def test_scratch_folders_are_capped_where_bwrap_can_and_the_report_says_which(monkeypatch: pytest.MonkeyPatch,
                                                                             caps: bool) -> None:
    """bwrap before 0.7, or a setuid one, cannot cap a tmpfs's size: the command leaves --size out, the report says so."""
    from autograder.sandbox import bwrap as bwrap_module

    monkeypatch.setattr(bwrap_module, "caps_tmpfs_size", lambda _bwrap: caps)
    monkeypatch.setattr(detect_module, "caps_tmpfs_size", lambda _bwrap: caps)
    monkeypatch.setattr(detect_module, "find_bwrap", lambda: "/usr/bin/bwrap")
    mounts = bwrap_module.mounts([Path("/kit/autograder")], [Path("/tmp/work")])
    cmd = bwrap_module.bwrap_command("/usr/bin/bwrap", ["/usr/bin/true"], mounts=mounts, scratch_mb=8, env={},
                                     cwd=Path("/tmp/work"))
    scratch = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--tmpfs"]
    sized = [cmd[i + 3] for i, arg in enumerate(cmd) if arg == "--size"]
    assert scratch == ["/tmp", "/tmp/work", "/dev/shm"]
    assert sized == (["/tmp/work", "/dev/shm"] if caps else [])
    assert all(cmd[i + 1] == str(8 * 2**20) for i, arg in enumerate(cmd) if arg == "--size")
    level = detect_module._bwrap_level(cgroups=False)
    described = level.describe(Limits(scratch_mb=8))
    assert ("a private 8 MiB work folder" in described) == caps
    assert ("cannot cap its size" in described) == (not caps)
