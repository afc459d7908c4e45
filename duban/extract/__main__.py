"""``python -m duban.extract PATH …``: the ``duban extract`` command without the top-level group."""

from duban.extract.cli import extract

if __name__ == "__main__":
    extract(prog_name="python -m duban.extract")
