"""`chronicle key ...` (issue 7).

A thin shell over `chronicle.keys`, in the style of
`chronicle.cli`, whose helpers (the chosen database, turning library errors
into a message and exit code 1) it uses. They are imported when a command
runs, because `chronicle.cli` imports this module to register the commands.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

key_app = typer.Typer(help="The register key, which encrypts restricted data at rest (docs/security.md).", no_args_is_help=True)


def _shell():
    """`chronicle.cli`, for its helpers (imported late: it imports this module)."""
    from chronicle import cli

    return cli


def _say(text: str) -> None:
    _shell().err.print(text, markup=False, soft_wrap=True)


@key_app.command("init")
def key_init_command(
    context: typer.Context,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Where to write the key. Default: CHRONICLE_KEY_FILE, else (SQLite) the database's name + .key.", show_default=False),
    ] = None,
) -> None:
    """Create a new register key file; an existing key file is never overwritten.

    The key encrypts the register's restricted data (restricted notes and
    sources). Keep a copy somewhere safe and apart from the database: whoever
    has both can read the restricted data, and without the key nobody can.
    A PostgreSQL register needs one: create it on the machine that runs
    Chronicle, not on the database server, and name it in CHRONICLE_KEY_FILE.

    Example:
        chronicle key init --file /media/usb/chronicle.key
        export CHRONICLE_KEY_FILE=/media/usb/chronicle.key
    """
    from chronicle.crypto import RegisterKey
    from chronicle.database import database_url
    from chronicle.keys import key_file_for, write_key_file

    cli = _shell()
    with cli.refusals():
        path = file if file is not None else key_file_for(database_url(context.obj.database))
        key = RegisterKey.generate()
        write_key_file(path, key)
    _say(f"Wrote the key file {path} (key id {key.key_id}). Keep a copy somewhere safe, never beside a copy of the database.")
    if file is not None and os.environ.get("CHRONICLE_KEY_FILE") != str(file):
        _say(f"To use it: export CHRONICLE_KEY_FILE={path}")


@key_app.command("rotate")
def key_rotate_command(context: typer.Context) -> None:
    """Re-encrypt every restricted value, in every version, under a new key, and put it in the key file.

    Stop every other Chronicle process on this register first: one still
    holding the old key can no longer write. The old key is kept as
    KEYFILE.old until the new one is in force; an interrupted rotation is
    finished by running the command again. Rotate after a device that held
    the key is lost, then replace every copy of the key and make a new
    backup: backups made before open only with the old key (or their
    passphrase).

    Example:
        chronicle key rotate
    """
    from chronicle.keys import rotate_key

    cli = _shell()
    with cli.refusals():
        rotation = rotate_key(context.obj.database, _say)
    counted = "" if rotation.values is None else f"; {rotation.values:,} values re-encrypted"
    _say(f"The register's key is now key id {rotation.new_key_id} (was {rotation.old_key_id}){counted}.")
    _say("Replace every copy of the old key file with the new one, and make a new backup now.")
