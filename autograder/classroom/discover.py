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
    """One submission: a folder or a zip archive, named by the student's id; `refused` says why it is not graded
    (a link, an id that two submissions share, an entry of the export that could not be unpacked safely)."""

    id: str
    source: Path
    refused: str = ""

    @property
    def is_archive(self) -> bool:
        return not self.source.is_symlink() and self.source.is_file()


def student_id(name: str) -> str:
    """A file-system-safe id from a folder or archive name (LMS names keep their id part, not the time)."""
    return re.sub(r"[^A-Za-z0-9._@-]+", "_", without_time(name)).strip("._") or "student"


def discover(submissions: Path, unpack_to: Path) -> list[Student]:
    """Every student under `submissions`: its sub-folders and *.zip files (and links there, which are refused).

    `submissions` may itself be the zip an LMS exports (one archive or folder per student): it is
    unpacked safely into `unpack_to` first; an entry of it that is not safe is refused, the others are kept.
    Two submissions whose names map to one student id are both refused, under that id.
    """
    refused: dict[str, str] = {}
    if submissions.is_file():
        shutil.rmtree(unpack_to, ignore_errors=True)  # the previous export's students are not this one's
        refused = safe_extract(submissions, unpack_to, max_bytes=10 * MAX_BYTES, max_files=100 * MAX_FILES,
                               per_entry=True)
        submissions = unpack_to
    names = {entry.name for entry in submissions.iterdir() if not entry.name.startswith(".")} | set(refused)
    by_id: dict[str, list[str]] = {}
    for name in sorted(names):
        entry = submissions / name
        if name in refused or entry.is_symlink() or entry.is_dir() or name.lower().endswith(".zip"):
            by_id.setdefault(student_id(name[:-4] if name.lower().endswith(".zip") else name), []).append(name)
    found = []
    for sid, entries in by_id.items():
        entry = submissions / entries[0]
        if len(entries) > 1:
            reason = (f"{len(entries)} submissions map to the student id {sid!r} ({', '.join(entries)}): none of "
                      "them is graded; rename them so that each student has one")
        elif entries[0] in refused:
            reason = refused[entries[0]]
        elif entry.is_symlink():
            reason = (f"{entries[0]} is a link (to {os.readlink(entry)}), not a folder or archive of its own: links "
                      "are not followed; submit the files themselves")
        else:
            reason = ""
        found.append(Student(sid, entry, reason))
    return found


def student_hash(student: Student) -> str:
    """What identifies this student's submission: its contents (submission_hash), or why it is refused."""
    if student.refused:
        return hashlib.sha256(b"refused\0" + student.refused.encode()).hexdigest()
    return submission_hash(student.source)


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


def _inside(path: Path | str, root: Path | str) -> bool:
    """Whether `path`, every link in it resolved as the file system is now, lies in `root` (a resolved path)."""
    real = os.path.realpath(path)
    return real == str(root) or real.startswith(os.path.join(str(root), ""))


def outside_links(folder: Path) -> list[str]:
    """The links under `folder` (none followed) whose final target, every other link resolved, is outside it."""
    top = os.path.realpath(folder)
    found = []
    for here, dirs, files in os.walk(folder, followlinks=False):
        for name in sorted(dirs + files):
            path = os.path.join(here, name)
            if os.path.islink(path) and not _inside(path, top):
                found.append(os.path.relpath(path, folder))
    return sorted(found)


def _links_problem(folder: Path) -> str | None:
    links = outside_links(folder)
    if not links:
        return None
    shown = ", ".join(links[:3]) + (f" and {len(links) - 3} more" if len(links) > 3 else "")
    return f"the submission holds links that lead outside its folder ({shown}): links are not followed; " \
           "submit the files themselves"


def safe_extract(archive: Path, dest: Path, *, max_bytes: int = MAX_BYTES, max_files: int = MAX_FILES,
                 per_entry: bool = False) -> dict[str, str]:
    """Unpack `archive` into `dest` (created), refusing anything that could escape or exhaust the disk.

    Refused: corrupt archives, absolute paths, `..`, symlinks that lead outside `dest` (each checked once every
    member is written: a link that resolves inside while the links it goes through are still missing may lead
    outside once they exist), more than `max_files` entries, more than `max_bytes` unpacked (counted while
    writing, not trusted from the header). On refusal `dest` is removed and UnsafeArchive raised.
    per_entry=True (an LMS export: one folder or archive per student at its top): an unsafe member, or a link
    leading outside its top-level entry, refuses that entry only; it is removed and returned (name -> why).
    """
    dest.mkdir(parents=True, exist_ok=True)
    root = Path(os.path.realpath(dest))
    try:
        refused = _extract(archive, root, max_bytes, max_files, per_entry)
        if not per_entry:
            problem = _links_problem(root)
            if problem:
                raise UnsafeArchive(problem)
            return {}
        for entry in sorted(root.iterdir()):
            if entry.name not in refused and entry.is_dir() and not entry.is_symlink():
                problem = _links_problem(entry)
                if problem:
                    refused[entry.name] = problem
        for name in refused:
            entry = root / name
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            elif entry.is_symlink() or entry.exists():
                entry.unlink()
        return refused
    except UnsafeArchive:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError) as exc:
        shutil.rmtree(dest, ignore_errors=True)
        raise UnsafeArchive(f"the archive could not be unpacked ({type(exc).__name__}: {exc})") from None


def _extract(archive: Path, root: Path, max_bytes: int, max_files: int, per_entry: bool) -> dict[str, str]:
    refused: dict[str, str] = {}
    with zipfile.ZipFile(archive) as zf:
        members = zf.infolist()
        if len(members) > max_files:
            raise UnsafeArchive(f"the archive holds {len(members)} entries (at most {max_files} allowed)")
        if sum(m.file_size for m in members) > max_bytes:
            raise UnsafeArchive(f"the archive unpacks to more than {max_bytes // 2**20} MiB")
        written = 0
        for member in members:
            parts = PurePosixPath(member.filename.replace("\\", "/")).parts
            entry = parts[0] if per_entry and parts and parts[0] not in ("/", "..") \
                and not re.match(r"^[A-Za-z]:", parts[0]) else None  # the student this member belongs to
            if entry in refused:
                continue
            try:
                written = _write(zf, member, root, max_bytes, written)
            except UnsafeArchive as exc:
                if entry is None:
                    raise
                refused[entry] = f"the archive {entry} could not be unpacked safely: {exc}"
    return refused


def _write(zf: zipfile.ZipFile, member: zipfile.ZipInfo, root: Path, max_bytes: int, written: int) -> int:
    """Write one member under `root`; return the bytes written so far in all."""
    target = root / _member_path(member.filename)
    if not _inside(target.parent, root):
        raise UnsafeArchive(f"the archive entry {member.filename!r} goes through a link outside the folder")
    if member.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return written
    target.parent.mkdir(parents=True, exist_ok=True)
    if stat.S_ISLNK(member.external_attr >> 16):
        link = zf.read(member).decode(errors="replace")
        if os.path.isabs(link) or not _inside(target.parent / link, root):
            raise UnsafeArchive(f"the archive entry {member.filename!r} links outside the folder ({link})")
        os.symlink(link, target)
        return written
    with zf.open(member) as src, open(target, "wb") as out:
        for chunk in iter(lambda: src.read(_CHUNK), b""):
            written += len(chunk)
            if written > max_bytes:
                raise UnsafeArchive(f"the archive unpacks to more than {max_bytes // 2**20} MiB")
            out.write(chunk)
    return written


def submission_root(folder: Path) -> Path:
    """Where the exercises are: a folder holding only one folder (e.g. `alice/NN_topic/...`) is descended into;
    never through a link."""
    entries = [e for e in folder.iterdir() if not e.name.startswith((".", "__MACOSX"))]
    if len(entries) == 1 and not entries[0].is_symlink() and entries[0].is_dir() \
            and not re.match(r"^\d\d_", entries[0].name):
        return submission_root(entries[0])
    return folder


def graded_folder_problem(student_folder: Path, graded: Path, kit: Path) -> str | None:
    """Why the folder chosen for grading must not be graded (None when it may): it holds links that lead outside
    the student's folder, resolves outside that folder, or lies in the kit's solutions/ (or holds it)."""
    problem = _links_problem(student_folder)
    if problem:
        return problem
    real, solutions = os.path.realpath(graded), os.path.realpath(kit / "solutions")
    if not _inside(real, os.path.realpath(student_folder)):
        return "the submission's folder resolves outside the student's own folder: it is not graded"
    if _inside(real, solutions) or _inside(solutions, real):
        return "the submission's folder is the course kit's own solutions/ (or holds them): it is not graded"
    return None
