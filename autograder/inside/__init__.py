"""What runs inside the sandbox, in the same processes as student code: the fork server, its children, the
guard they put up, the observation tools and the probe runtime. A security review starts here: nothing in this
package imports the judge's side (tests/test_boundary.py), and what it sends back is held to the contract.
"""
