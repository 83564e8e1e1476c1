"""How ``flask`` commands meet the settings: offline commands run without SECRET_KEY.

The ``flask`` command builds the app before it knows which command will run. When
the settings are incomplete (no SECRET_KEY in production), the app is still built for
that look-up, and every command refuses with the one-line configuration error, except
the commands listed here, which touch neither the database nor anything signed.
"""

from __future__ import annotations

import copy
from typing import Any, NoReturn

import click

#: Command paths (a group name covers all its commands) that need no settings.
OFFLINE_COMMANDS = frozenset({"questionnaires check", "stats"})


def loading_for_command_lookup() -> bool:
    """Whether the ``flask`` command is building the app only to find or list its commands.

    The server (``flask run``), ``flask shell`` and commands of extensions build it
    from their own command's context instead, and so never get a half-configured app.
    """
    context = click.get_current_context(silent=True)
    return context is not None and isinstance(context.command, click.Group)


def refusing_unless_offline(
    command: click.Command, error: click.ClickException | None, path: str = ""
) -> click.Command:
    """``command`` itself, or (settings incomplete) a copy whose non-offline commands refuse.

    Copies, because the command objects are module-level and shared by every app.
    """
    path = f"{path} {command.name}".strip()
    if error is None or path in OFFLINE_COMMANDS:
        return command
    guarded = copy.copy(command)
    if isinstance(command, click.Group):
        assert isinstance(guarded, click.Group)
        guarded.commands = {
            name: refusing_unless_offline(sub, error, path)
            for name, sub in command.commands.items()
        }
    else:

        def refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
            raise error

        guarded.callback = refuse
    return guarded
