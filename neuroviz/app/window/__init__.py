"""The playground window: main window, toolbar, menus, file commands, experiment state, undo
commands, settings, themes, banners, the control registry, and compose.py, the composition root
that creates and wires every feature."""
