"""The `sundhedsgraf` command and `python -m sundhedsgraf`.

The command line's modules are imported when it runs, not when this module is: the fork
server that starts the query workers imports the server's main script (this module, through
the `sundhedsgraf` script), and importing the CLI there would put the build and the web app,
about 25 MB, into it.
"""

import sys


def main() -> int:
    from sundhedsgraf.cli import main as run

    return run()


if __name__ == "__main__":
    sys.exit(main())
