"""The shell hooks, shipped as package data: shellsso.bash, shellsso.zsh and shellsso.fish,
with what they include (common.bash, the functions bash and zsh share; completions.fish).

Installed as `shellsso.shell.hooks` (see [tool.setuptools] in pyproject.toml);
`shellsso init` reads them with importlib.resources.
"""
