"""Grading a whole class: discover submissions, grade them in parallel (locally or on Dask), store, summarise."""
