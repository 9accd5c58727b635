"""The shell hooks (shellsso.bash, shellsso.zsh, shellsso.fish), shipped as package data.

Installed as `shellsso.shell.hooks` (see [tool.setuptools] in pyproject.toml);
`shellsso init` reads them with importlib.resources.
"""
