"""Find the students in a SUBMISSIONS folder or LMS zip, hash their submissions, and unpack archives safely."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autograder.classroom.submitted import without_time

MAX_BYTES = 200 * 1024 * 1024   # a submission that unpacks to more than this is refused
MAX_FILES = 5_000
_CHUNK = 1 << 16


class SubmissionsError(ValueError):
    """The submissions cannot be taken as they are (the message says why)."""


class UnsafeArchive(SubmissionsError):
    """An archive that is corrupt, escapes its folder, or unpacks to an absurd size."""


@dataclass(frozen=True)
class Student:
    """One submission: a folder or a zip archive, named by the student's id."""

    id: str
    source: Path

    @property
    def is_archive(self) -> bool:
        return self.source.is_file()


def student_id(name: str) -> str:
    """A file-system-safe id from a folder or archive name (LMS names keep their id part, not the time)."""
    return re.sub(r"[^A-Za-z0-9._@-]+", "_", without_time(name)).strip("._") or "student"


def discover(submissions: Path, unpack_to: Path) -> list[Student]:
    """Every student under `submissions`: its sub-folders and *.zip files.

    `submissions` may itself be the zip an LMS exports (one archive or folder per student): it is
    unpacked safely into `unpack_to` first.
    """
    if submissions.is_file():
        shutil.rmtree(unpack_to, ignore_errors=True)  # the previous export's students are not this one's
        safe_extract(submissions, unpack_to, max_bytes=10 * MAX_BYTES, max_files=100 * MAX_FILES)
        submissions = unpack_to
    found: dict[str, Student] = {}
    for entry in sorted(submissions.iterdir()):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if entry.is_dir() or (entry.is_file() and entry.suffix.lower() == ".zip"):
            sid = student_id(entry.stem if entry.is_file() else entry.name)
            if sid in found:
                raise SubmissionsError(f"two submissions map to the student id {sid!r}: "
                                       f"{found[sid].source.name}, {entry.name}")
            found[sid] = Student(sid, entry)
    return list(found.values())


def submission_hash(source: Path) -> str:
    """sha256 of an archive's bytes, or of a folder's relative paths and file contents."""
    digest = hashlib.sha256()
    if source.is_file():
        paths = [source]
    else:
        paths = sorted(p for p in source.rglob("*") if p.is_file() or p.is_symlink())
    for path in paths:
        if source.is_dir():
            digest.update(path.relative_to(source).as_posix().encode() + b"\0")
        if path.is_symlink():
            digest.update(b"->" + os.readlink(path).encode())
            continue
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(_CHUNK), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _member_path(name: str) -> PurePosixPath:
    """The member's relative path; UnsafeArchive for absolute paths, drive letters and `..`."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or re.match(r"^[A-Za-z]:", name) or ".." in path.parts:
        raise UnsafeArchive(f"the archive entry {name!r} points outside the submission folder")
    return path


def _inside(path: Path, root: Path) -> bool:
    return os.path.realpath(path) == str(root) or os.path.realpath(path).startswith(str(root) + os.sep)


def safe_extract(archive: Path, dest: Path, *, max_bytes: int = MAX_BYTES, max_files: int = MAX_FILES) -> None:
    """Unpack `archive` into `dest` (created), refusing anything that could escape or exhaust the disk.

    Refused: corrupt archives, absolute paths, `..`, symlinks pointing outside `dest`, more than
    `max_files` entries, more than `max_bytes` unpacked (counted while writing, not trusted from the header).
    On refusal `dest` is removed and UnsafeArchive raised.
    """
    dest.mkdir(parents=True, exist_ok=True)
    root = Path(os.path.realpath(dest))
    try:
        _extract(archive, root, max_bytes, max_files)
    except UnsafeArchive:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError) as exc:
        shutil.rmtree(dest, ignore_errors=True)
        raise UnsafeArchive(f"the archive could not be unpacked ({type(exc).__name__}: {exc})") from None


def _extract(archive: Path, root: Path, max_bytes: int, max_files: int) -> None:
    with zipfile.ZipFile(archive) as zf:
        members = zf.infolist()
        if len(members) > max_files:
            raise UnsafeArchive(f"the archive holds {len(members)} entries (at most {max_files} allowed)")
        if sum(m.file_size for m in members) > max_bytes:
            raise UnsafeArchive(f"the archive unpacks to more than {max_bytes // 2**20} MiB")
        written = 0
        for member in members:
            target = root / _member_path(member.filename)
            if not _inside(target.parent, root):
                raise UnsafeArchive(f"the archive entry {member.filename!r} goes through a link outside the folder")
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if stat.S_ISLNK(member.external_attr >> 16):
                link = zf.read(member).decode(errors="replace")
                if os.path.isabs(link) or not _inside(target.parent / link, root):
                    raise UnsafeArchive(f"the archive entry {member.filename!r} links outside the folder ({link})")
                os.symlink(link, target)
                continue
            with zf.open(member) as src, open(target, "wb") as out:
                for chunk in iter(lambda: src.read(_CHUNK), b""):
                    written += len(chunk)
                    if written > max_bytes:
                        raise UnsafeArchive(f"the archive unpacks to more than {max_bytes // 2**20} MiB")
                    out.write(chunk)


def submission_root(folder: Path) -> Path:
    """Where the exercises are: a folder holding only one folder (e.g. `alice/NN_topic/...`) is descended into."""
    entries = [e for e in folder.iterdir() if not e.name.startswith((".", "__MACOSX"))]
    if len(entries) == 1 and entries[0].is_dir() and not re.match(r"^\d\d_", entries[0].name):
        return submission_root(entries[0])
    return folder
