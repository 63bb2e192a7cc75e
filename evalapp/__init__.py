"""evalapp: debriefing evaluation (述职评议考核) and anonymous democratic rating (民主测评).

`create_app` is imported when first asked for (PEP 562), not with the package: a process that
needs one module (the table reader's child process, `evalapp.tabular`) does not load the
whole app to get it."""

__all__ = ["create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from evalapp.app import create_app

        return create_app
    raise AttributeError(f"module 'evalapp' has no attribute {name!r}")
