"""`autograder gradescope build OUT.zip`: a Gradescope autograder package with the kit inside."""

from __future__ import annotations

import zipfile
from importlib import resources
from pathlib import Path

import autograder

# What the package needs besides the two scripts: the kit (to pip install) and the course (checks, solutions).
KIT_FILES = ("pyproject.toml", "constraints.txt", "README.md")
COURSE_FILES = ("course.yml",)
_SKIP = {"__pycache__", ".pytest_cache"}
_EXECUTABLE = 0o100755 << 16
_REGULAR = 0o100644 << 16


class PackageError(Exception):
    """A file the package needs is missing."""


def tree(folder: Path, arcname: str) -> list[tuple[Path, str]]:
    """(file, its name under `arcname`) for every file below `folder`, caches left out."""
    return [(path, f"{arcname}/{path.relative_to(folder).as_posix()}") for path in sorted(folder.rglob("*"))
            if path.is_file() and not _SKIP & set(path.relative_to(folder).parts) and path.suffix != ".pyc"]


def package_files(course_root: Path) -> list[tuple[Path, str]]:
    """(source, name in the zip) of every file the package holds, scripts excluded."""
    package = Path(autograder.__file__).resolve().parent
    kit_root = package.parent
    files = tree(package, "autograder") + tree(course_root / "solutions", "solutions")
    for name, folder in [(n, kit_root) for n in KIT_FILES] + [(n, course_root) for n in COURSE_FILES]:
        if not (folder / name).is_file():
            raise PackageError(f"{folder / name} is missing: build the package from a source checkout of the kit")
        files.append((folder / name, name))
    return files


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = mode
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build_package(course_root: Path, out: Path) -> list[str]:
    """Write the Gradescope zip to `out` (setup.sh and run_autograder at its top) and return its names."""
    files = package_files(course_root)
    scripts = resources.files("autograder.integrations") / "templates"
    with zipfile.ZipFile(out, "w") as archive:
        for script in ("setup.sh", "run_autograder"):
            _add(archive, script, (scripts / script).read_bytes(), _EXECUTABLE)
        for source, name in files:
            _add(archive, name, source.read_bytes(), _REGULAR)
        return archive.namelist()
