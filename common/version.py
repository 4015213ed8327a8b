"""The one version of the project: the server, the till, /health and pyproject.toml
(``[tool.setuptools.dynamic]``) all read it from here.

A constant in code, not package metadata: the till's PyInstaller bundle carries the
``common`` package but no ``*.dist-info``, so ``importlib.metadata`` would fail there.
Bump it with a new section in CHANGELOG.md.
"""

VERSION = "0.2.0"
