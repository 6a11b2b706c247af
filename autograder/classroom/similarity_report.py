"""The similarity report: a CSV of every pair, ranked per exercise, and a side-by-side HTML page per flagged pair.

    DIR/similarity.csv                      exercise, rank, student_a, student_b, similarities, overlap, flagged
    DIR/pairs/<exercise>/<a>--<b>.html      the two files side by side, the matching regions highlighted
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from autograder.classroom.discover import Student, UnsafeArchive, safe_extract, submission_root
from autograder.classroom.similarity import MIN_TOKENS, THRESHOLD, Pair, class_similarity
from autograder.classroom.store import write_atomic
from autograder.course import load_course


def _highlighted(text: str, slices) -> Markup:
    from copydetect.utils import highlight_overlap

    if slices.shape[-1] == 0:
        return Markup.escape(text)
    html, _ = highlight_overlap(text, slices, "<mark>", "</mark>", escape_html=True)
    return Markup(html)


def pair_page(pair: Pair) -> str:
    """The side-by-side HTML page of one pair."""
    env = Environment(loader=PackageLoader("autograder.reports", "templates"), autoescape=select_autoescape())
    sides = [{"student": code.student, "name": code.name, "similarity": similarity, "html": _highlighted(code.text, s)}
             for code, similarity, s in ((pair.a, pair.similarity_a, pair.slices_a),
                                         (pair.b, pair.similarity_b, pair.slices_b))]
    return env.get_template("similarity_pair.html.j2").render(pair=pair, sides=sides)


def write_similarity(out: Path, ranked: dict[str, list[Pair]], *, threshold: float = THRESHOLD,
                     min_tokens: int = MIN_TOKENS) -> list[Pair]:
    """Write DIR/similarity.csv and a page per flagged pair; return the flagged pairs, most similar first."""
    out.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["exercise", "rank", "student_a", "student_b", "similarity_a", "similarity_b", "score",
                     "overlap", "flagged", "page"])
    flagged = []
    for exercise, pairs in sorted(ranked.items()):
        for rank, pair in enumerate(pairs, start=1):
            page = ""
            if pair.flagged(threshold, min_tokens):
                flagged.append(pair)
                path = out / "pairs" / exercise / f"{pair.a.student}--{pair.b.student}.html"
                path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(path, pair_page(pair))
                page = path.relative_to(out).as_posix()
            writer.writerow([exercise, rank, pair.a.student, pair.b.student, f"{pair.similarity_a:.3f}",
                             f"{pair.similarity_b:.3f}", f"{pair.score:.3f}", pair.overlap,
                             "yes" if page else "", page])
    write_atomic(out / "similarity.csv", buffer.getvalue())
    return sorted(flagged, key=lambda p: -p.score)


def student_folders(students: list[Student], unpack_to: Path) -> dict[str, Path]:
    """student id → the folder holding their exercises (archives unpacked safely; refused ones left out)."""
    folders = {}
    for student in students:
        folder = student.source
        if student.is_archive:
            folder = unpack_to / student.id
            try:
                safe_extract(student.source, folder)
            except UnsafeArchive:
                continue
        folders[student.id] = submission_root(folder)
    return folders


def similarity_report(students: list[Student], course_root: Path, out: Path, *, exercises: list[str] | None = None,
                      extra: list[Path] | None = None, threshold: float = THRESHOLD,
                      min_tokens: int = MIN_TOKENS) -> list[Pair]:
    """Compare the class per exercise and write the report into `out`; return the flagged pairs."""
    with tempfile.TemporaryDirectory(prefix="similarity-") as tmp:
        folders = student_folders(students, Path(tmp))
        ranked = class_similarity(folders, load_course(course_root / "course.yml"), course_root,
                                  exercises=exercises, extra=extra)
        return write_similarity(out, ranked, threshold=threshold, min_tokens=min_tokens)


def flagged_lines(flagged: list[Pair]) -> str:
    """One line per flagged pair."""
    return "".join(f"{p.exercise}: {p.a.student} and {p.b.student}: {100 * p.similarity_a:.0f} % / "
                   f"{100 * p.similarity_b:.0f} % in common\n" for p in flagged)
