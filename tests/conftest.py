"""Suite-wide options: ``--update-golden`` rewrites the whole-network goldens under tests/golden/."""


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden", action="store_true", default=False,
        help="rewrite tests/golden/*.json from the current code (say in the commit why they moved)",
    )
