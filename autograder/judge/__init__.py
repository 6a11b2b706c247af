"""What judges, in the grader's own process: the engine, its pytest plugin and the handles checks call, the
sessions that talk to the sandboxes and their pool. Nothing here imports the inside's code
(tests/test_boundary.py): it starts the fork server by module name and speaks to it over the contract.
"""
