"""Re-executes the tutorial notebooks in place with the convlens kernel, so the
committed outputs (widgets with their PNG fallbacks) come from a real run.

Usage: .venv/bin/python scripts/execute_notebooks.py [notebook ...]   (default: notebooks/0*.ipynb)
"""
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
KERNEL = "convlens"


def execute(path: pathlib.Path, timeout: int = 120) -> nbformat.NotebookNode:
    """Runs every cell of the notebook at path (cwd: its folder); returns the executed notebook."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=timeout,
        resources={"metadata": {"path": str(path.parent)}},
        # Keep the widget state in the notebook, so JupyterLab and nbviewer re-render saved widgets.
        store_widget_state=True,
    )
    client.execute()
    return nb


def main(args: list[str]) -> None:
    paths = [pathlib.Path(a).resolve() for a in args] or sorted((ROOT / "notebooks").glob("0*.ipynb"))
    for path in paths:
        start = time.monotonic()
        nb = execute(path)
        nbformat.write(nb, path)
        print(f"{path.relative_to(ROOT)}: executed in {time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
