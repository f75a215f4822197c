"""``python -m hpo_lab.cli``: the ``hpo-lab`` command."""

from hpo_lab.cli import main

if __name__ == "__main__":
    main()
