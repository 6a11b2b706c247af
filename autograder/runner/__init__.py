"""Running student code: a fork server inside the sandbox, and the parent's session that talks to it."""
