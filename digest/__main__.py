"""`python -m digest`: the same command line as the `digest` script."""

# The one module of the package that imports the command line: nothing imports it (running it is its
# only use), so the library still never loads typer or rich; pyproject's cli-on-top contract names it.
from cli import main

if __name__ == "__main__":
    main()
