"""Child-side observers: what runs next to student code to watch what it does.

Everything here runs inside the sandboxed child. Its findings are observations,
sent to the parent as plain data; the parent alone turns them into verdicts.
"""
