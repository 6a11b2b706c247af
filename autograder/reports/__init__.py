"""Reports: the same GradeReport as Gradescope JSON, JUnit XML, or text for people."""
