"""Repository and instructor tools, run by the Makefile; not part of the installed ``ganlab`` package.

``course_times`` (the measured times table: ``make course`` records into it), ``code_hash`` (the hash of each
notebook's code cells that ``make course`` records, and the check that its outputs came from that code),
``answer_key`` (runs the instructor's worked answers in ``docs/answers/``: ``make answers``), ``student`` (writes
the student edition: ``make student``) and ``cloud`` (the Colab and Binder badges and install cell in every notebook).
Each runs as ``python -m tools.NAME`` from the repository root.
"""
