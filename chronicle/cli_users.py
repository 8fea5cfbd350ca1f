"""`chronicle user ...`: the accounts that sign in to the web app (issue 7).

A thin shell over `chronicle.accounts`, in the style of `chronicle.cli`,
whose helpers (opening the database, turning library errors into a message
and exit code 1) it uses; they are imported when a command runs, because
`chronicle.cli` imports this module to register the commands. A password is
asked for twice with a hidden prompt, or read from standard input with
`--password-stdin`; it is never printed, logged or passed as an argument.
"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import click
import typer
from rich.markup import escape
from rich.table import Table

users_app = typer.Typer(help="Accounts: who may sign in to the web app, and with which role.", no_args_is_help=True)

UsernameArgument = Annotated[str, typer.Argument(help="The username (lower-case letters, digits and . _ @ -).")]


def _shell():
    """`chronicle.cli`, for its helpers (imported late: it imports this module)."""
    from chronicle import cli

    return cli


def _read_password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or typed twice at a hidden prompt."""
    from chronicle.accounts import AccountError

    if from_stdin:
        text = sys.stdin.readline()
        if text.endswith("\n"):
            text = text[:-1]
        if text.endswith("\r"):
            text = text[:-1]
        if not text:
            raise AccountError("--password-stdin: standard input held no password")
        return text
    try:
        return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password", type=str, err=True)
    except click.Abort:
        raise AccountError("no password was given (to pass one from a program, use --password-stdin)") from None


@users_app.command("add")
def add_command(
    context: typer.Context,
    username: UsernameArgument,
    role: Annotated[str, typer.Option("--role", help="admin, editor, analyst or viewer (docs/accounts.md says what each may do).")],
    name: Annotated[Optional[str], typer.Option("--name", help="The name shown for the user.")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input instead of asking for it.")] = False,
    two_factor: Annotated[bool, typer.Option("--two-factor", help="Require two-factor sign-in of an analyst or viewer too (admins and editors always need it).")] = False,
) -> None:
    """Create an account; the password is asked for twice (at least 12 characters).

    Admins and editors set up two-factor sign-in (an authenticator app) the
    first time they sign in, and cannot do anything before it is set up.

    Example:
        chronicle user add alice --role admin --name "Alice Adamovich"
        printf '%s\\n' "$PASSWORD" | chronicle user add reader --role viewer --password-stdin
    """
    from chronicle.accounts import ROLES, AccountError, Accounts, check_display_name, check_username

    cli = _shell()
    with cli.refusals():
        check_username(username)  # before the password is asked for
        if role not in ROLES:
            raise AccountError(f"--role: {role!r} is not a role: the roles are {', '.join(ROLES)}")
        check_display_name(name)
        password = _read_password(password_stdin)
        with context.obj.open_database() as database:
            user = Accounts(database).add_user(username, password, role=role, display_name=name, two_factor=two_factor)
    second = "set up at the first sign-in" if user.two_factor_required else "optional (the user may set it up on their account page)"
    cli.err.print(f"Added {user.username} ({user.role}). Two-factor sign-in: {second}.", markup=False, soft_wrap=True)


@users_app.command("list")
def list_command(
    context: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: a list of {username, display_name, role, disabled, created_at, two_factor, two_factor_required}.")] = False,
) -> None:
    """List the accounts: role, two-factor sign-in, disabled or not.

    Example:
        chronicle user list
        chronicle user list --json
    """
    from chronicle.accounts import Accounts

    cli = _shell()
    with cli.refusals(), context.obj.open_database() as database:
        users = Accounts(database).users()
    if as_json:
        cli._print_json([user.to_json() for user in users])
        return
    table = Table("username", "name", "role", "two-factor", "state", "created", title=f"{len(users):,} accounts")
    for user in users:
        second = "on" if user.two_factor else "not set up" if user.two_factor_required else "off"
        table.add_row(escape(user.username), escape(cli.printable(user.display_name or "")), user.role, second,
                      "disabled" if user.disabled else "active", user.created_at.strftime("%Y-%m-%d %H:%M UTC"))
    cli.out.print(table)


@users_app.command("disable")
def disable_command(context: typer.Context, username: UsernameArgument) -> None:
    """Disable an account: it can no longer sign in, and its sessions end at once.

    Example:
        chronicle user disable alice
    """
    from chronicle.accounts import Accounts

    cli = _shell()
    with cli.refusals(), context.obj.open_database() as database:
        user = Accounts(database).disable(username)
    cli.err.print(f"Disabled {user.username}: it cannot sign in, and its sessions have ended.", markup=False)


@users_app.command("reset-2fa")
def reset_two_factor_command(context: typer.Context, username: UsernameArgument) -> None:
    """Forget an account's authenticator and recovery codes (a lost phone): it sets two-factor sign-in up again at the next sign-in.

    Its sessions end at once. Check that the person asking is the account's
    owner before you do this: whoever signs in next with the password sets
    up the new authenticator.

    Example:
        chronicle user reset-2fa alice
    """
    from chronicle.accounts import Accounts

    cli = _shell()
    with cli.refusals(), context.obj.open_database() as database:
        user = Accounts(database).reset_two_factor(username)
    cli.err.print(f"{user.username} sets up two-factor sign-in again at the next sign-in; its sessions have ended.", markup=False)
