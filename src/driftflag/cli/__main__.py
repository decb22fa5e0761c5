"""``python -m driftflag.cli``: the same as the ``driftflag`` command."""

from driftflag.cli import entry

if __name__ == "__main__":
    entry()
