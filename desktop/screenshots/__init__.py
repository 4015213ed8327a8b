"""``python -m desktop.screenshots OUTDIR``: the till's main views as PNG, rendered
offscreen from the real window over the demo server (docs/screenshots/, the README).

Not part of the till: no module of the till imports it (a contract in pyproject.toml)."""
