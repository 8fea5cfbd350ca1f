"""`chronicle key ...`, `chronicle backup` and `chronicle restore` (issue 7).

A thin shell over `chronicle.keys` and `chronicle.backup`, in the style of
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

PassphraseOption = Annotated[
    Path | None,
    typer.Option(
        "--passphrase-file",
        help="Protect the archive with the passphrase in this file (its first line) instead of the register key; "
        "or set CHRONICLE_BACKUP_PASSPHRASE.",
        show_default=False,
    ),
]
OpeningPassphraseOption = Annotated[
    Path | None,
    typer.Option(
        "--passphrase-file",
        help="The passphrase the archive was made with, in this file (its first line); or set CHRONICLE_BACKUP_PASSPHRASE.",
        show_default=False,
    ),
]


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


def _passphrase(passphrase_file: Path | None) -> str | None:
    from chronicle.backup import PASSPHRASE_ENV, BackupError

    if passphrase_file is not None:
        try:
            lines = passphrase_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise BackupError(f"cannot read the passphrase file {passphrase_file}: {getattr(error, 'strerror', None) or 'not UTF-8 text'}") from None
        passphrase = lines[0] if lines else ""
    else:
        passphrase = os.environ.get(PASSPHRASE_ENV)
        if passphrase is None:
            return None
    if len(passphrase) < 12:
        raise BackupError("a backup passphrase needs at least 12 characters (several random words are best)")
    return passphrase


def backup_command(
    context: typer.Context,
    file: Annotated[Path, typer.Argument(help="The archive to write (a new file).")],
    passphrase_file: PassphraseOption = None,
) -> None:
    """Write an encrypted, integrity-checked archive of the whole register.

    Every table, every row: all versions, merges, accounts, the audit log.
    By default the archive opens with the register key (keep the key file
    apart from the backups); with a passphrase it opens with that instead.
    `chronicle restore` refuses an archive that was altered, cut short or
    extended.

    Example:
        chronicle backup /media/usb/register-2025-06-30.backup
        chronicle backup register.backup --passphrase-file ~/backup-passphrase.txt
    """
    from chronicle.backup import write_backup

    cli = _shell()
    with cli.refusals():
        passphrase = _passphrase(passphrase_file)
        with context.obj.open_database() as database, cli.progress_bar() as progress:
            report = write_backup(database, file, passphrase=passphrase, progress=progress)
    rows = sum(report.tables.values())
    _say(f"Wrote {report.path}: {len(report.tables)} tables, {rows:,} rows, {report.size:,} bytes.")


def restore_command(
    context: typer.Context,
    file: Annotated[Path, typer.Argument(help="An archive written by `chronicle backup`.")],
    passphrase_file: OpeningPassphraseOption = None,
) -> None:
    """Restore an archive written by `chronicle backup` into an empty database.

    The whole archive is read and checked before the database is touched;
    an altered, cut short or extended archive, a wrong key or passphrase,
    or a database that is not empty is refused, and nothing is written. An
    archive made with the register key is restored with that key
    (CHRONICLE_KEY_FILE, or the SQLite database's name + .key).

    Example:
        chronicle --db restored.db restore register.backup
        chronicle --db postgresql://postgres@127.0.0.1/chronicle restore register.backup
    """
    from chronicle.backup import Archive, BackupError, read_header, restore_backup
    from chronicle.database import Database, database_url
    from chronicle.keys import key_file_for, read_key_file

    cli = _shell()
    with cli.refusals():
        header = read_header(file)
        key = None
        if header["protection"] == "register-key":
            path = key_file_for(database_url(context.obj.database))
            if not path.exists():
                raise BackupError(
                    f"this archive opens with the register key {header.get('key_id')}, and there is no key file {path}: "
                    f"set CHRONICLE_KEY_FILE to the key file of the register it was made from, or copy that file to {path}"
                )
            key = read_key_file(path)
            archive = Archive(file, key=key)
        else:
            archive = Archive(file, passphrase=_passphrase(passphrase_file))
        with cli.working("Checking the archive"):
            archive.verify()
        if key is not None:
            database = Database.open(context.obj.database, key=key)
        else:
            database = context.obj.open_database()
        with database, cli.progress_bar() as progress:
            report = restore_backup(database, archive, progress=progress)
    _say(f"Restored {report.path}: {len(report.tables)} tables, {sum(report.tables.values()):,} rows.")


def register_security_commands(app: typer.Typer) -> None:
    """`chronicle backup` and `chronicle restore` (the `key` group is added by chronicle.cli)."""
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
