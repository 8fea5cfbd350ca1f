"""`chronicle user ...`: the accounts that sign in to the web app (issue 7).

A thin shell over `chronicle.accounts`, in the style of `chronicle.cli`,
whose helpers (opening the database, turning library errors into a message
and exit code 1) it uses; they are imported when a command runs, because
`chronicle.cli` imports this module to register the commands. A password is
asked for twice with a hidden prompt, or read from standard input with
`--password-stdin`; it is never printed, logged or passed as an argument.

`chronicle user token ...` makes, lists and revokes the API tokens of
scripts; a new token is printed once, on standard output, and only its hash
is kept.
"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import click
import typer
from rich.markup import escape
from rich.table import Table

users_app = typer.Typer(help="Accounts: who may sign in to the web app, and with which role.", no_args_is_help=True)

tokens_app = typer.Typer(help="API tokens: scripts call the JSON API as a user, with that user's role.", no_args_is_help=True)
users_app.add_typer(tokens_app, name="token")

UsernameArgument = Annotated[str, typer.Argument(help="The username (lower-case letters, digits and . _ @ -).")]
UserJsonOption = Annotated[bool, typer.Option("--json", help="Print the account as JSON, shaped like one item of `user list --json`.")]
PasswordStdinOption = Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input instead of asking for it.")]


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
    password_stdin: PasswordStdinOption = False,
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
def disable_command(context: typer.Context, username: UsernameArgument, as_json: UserJsonOption = False) -> None:
    """Disable an account: it can no longer sign in, its sessions end at once and its API tokens are revoked.

    The last enabled admin cannot be disabled: make another user an admin
    first. `chronicle user enable` lets the account sign in again.

    Example:
        chronicle user disable alice
    """
    from chronicle.accounts import Accounts

    cli = _shell()
    with cli.refusals(), context.obj.open_database() as database:
        user = Accounts(database).disable(username)
    if as_json:
        cli._print_json(user.to_json())
    cli.err.print(f"Disabled {user.username}: it cannot sign in, its sessions have ended and its API tokens are revoked.", markup=False, soft_wrap=True)


@users_app.command("enable")
def enable_command(context: typer.Context, username: UsernameArgument, as_json: UserJsonOption = False) -> None:
    """Enable a disabled account again: it may sign in with its password (and second factor).

    Its old sessions and API tokens stay ended: make new tokens if it needs them.

    Example:
        chronicle user enable alice
    """
    from chronicle.accounts import Accounts

    cli = _shell()
    with cli.refusals(), context.obj.open_database() as database:
        accounts = Accounts(database)
        before = accounts.user(username)
        user = accounts.enable(username)
    if as_json:
        cli._print_json(user.to_json())
    if before is not None and not before.disabled:
        cli.err.print(f"{user.username} was not disabled; nothing changed.", markup=False, soft_wrap=True)
    else:
        cli.err.print(f"Enabled {user.username}: it may sign in again.", markup=False, soft_wrap=True)


@users_app.command("role")
def role_command(
    context: typer.Context,
    username: UsernameArgument,
    role: Annotated[str, typer.Argument(help="The new role: admin, editor, analyst or viewer.")],
    as_json: UserJsonOption = False,
) -> None:
    """Change an account's role; its sessions end at once, so that the new role applies from its next sign-in.

    An account made admin or editor must sign in with two-factor sign-in:
    if it has not set it up, it does so at its next sign-in. The last
    enabled admin cannot be given another role: make another user an admin
    first. API tokens act with the account's new role from their next request.

    Example:
        chronicle user role bob editor
        chronicle user role bob viewer --json
    """
    from chronicle.accounts import ROLES, AccountError, Accounts

    cli = _shell()
    with cli.refusals():
        if role not in ROLES:
            raise AccountError(f"ROLE: {role!r} is not a role: the roles are {', '.join(ROLES)}")
        with context.obj.open_database() as database:
            accounts = Accounts(database)
            before = accounts.user(username)
            user = accounts.change_role(username, role)
    if as_json:
        cli._print_json(user.to_json())
    if before is not None and before.role == user.role:
        cli.err.print(f"{user.username} is already {_article(user.role)} {user.role}; nothing changed.", markup=False, soft_wrap=True)
        return
    second = (" Two-factor sign-in: set up at the next sign-in." if user.two_factor_required and not user.two_factor else "")
    cli.err.print(f"{user.username} is now {_article(user.role)} {user.role}; its sessions have ended.{second}", markup=False, soft_wrap=True)


@users_app.command("password")
def password_command(
    context: typer.Context,
    username: UsernameArgument,
    password_stdin: PasswordStdinOption = False,
    as_json: UserJsonOption = False,
) -> None:
    """Set a new password for an account; it is asked for twice (at least 12 characters), and the account's sessions end at once.

    The password is never an argument (other users of the machine could see
    it): a program passes it on the first line of standard input with
    --password-stdin. The account's second factor and API tokens stay as
    they are.

    Example:
        chronicle user password alice
        printf '%s\\n' "$PASSWORD" | chronicle user password reader --password-stdin
    """
    from chronicle.accounts import Accounts
    from chronicle.errors import NotFoundError

    cli = _shell()
    with cli.refusals(), context.obj.open_database() as database:
        accounts = Accounts(database)
        if accounts.user(username) is None:  # before the password is asked for
            from chronicle.accounts import normalise_username

            raise NotFoundError(f"there is no user {normalise_username(username)!r}")
        user = accounts.set_password(username, _read_password(password_stdin))
    if as_json:
        cli._print_json(user.to_json())
    cli.err.print(f"Set a new password for {user.username}; its sessions have ended.", markup=False, soft_wrap=True)


@users_app.command("reset-2fa")
def reset_two_factor_command(context: typer.Context, username: UsernameArgument, as_json: UserJsonOption = False) -> None:
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
    if as_json:
        cli._print_json(user.to_json())
    cli.err.print(f"{user.username} sets up two-factor sign-in again at the next sign-in; its sessions have ended.", markup=False, soft_wrap=True)


def _article(role: str) -> str:
    return "an" if role[:1] in ("a", "e", "i", "o", "u") else "a"


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else ""


@tokens_app.command("add")
def token_add_command(
    context: typer.Context,
    username: Annotated[str, typer.Argument(help="The account the token acts for, with its role.")],
    label: Annotated[Optional[str], typer.Option("--label", help="What the token is for (a script's name), shown by `user token list`.")] = None,
    expires: Annotated[Optional[int], typer.Option("--expires", help="Days until the token expires (1 to 3650). Default: it does not expire.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: {token, token_id, username, label, created_at, expires_at, last_used_at, revoked_at, state}.")] = False,
) -> None:
    """Make an API token for a script: printed once, on standard output; only its hash is kept.

    A script sends it as `Authorization: Bearer TOKEN` to the JSON API
    (/api/v1/...), over HTTPS, and acts as the account, with the account's
    role at the time of each request. Keep the token where the script's
    other secrets are; whoever holds it acts as the account. Prefer an
    account of its own for each script, with the least role it needs.

    Example:
        chronicle user token add feed-bot --label "weekly figures" --expires 90
        TOKEN=$(chronicle user token add feed-bot)
    """
    from chronicle.accounts import Accounts

    cli = _shell()
    with cli.refusals(), context.obj.open_database() as database:
        accounts = Accounts(database)
        made = accounts.add_token(username, label=label, expires_days=expires)
        now = accounts.clock()
    if as_json:
        cli._print_json({"token": made.token, **made.info.to_json(now)})
    else:
        print(made.token)
    until = f"it expires {_when(made.info.expires_at)}" if made.info.expires_at is not None else "it does not expire"
    cli.err.print(f"Made API token {made.info.token_id} for {made.info.username}; {until}. It is shown only this once: "
                  f"keep it with the script's secrets.", markup=False, soft_wrap=True)


@tokens_app.command("list")
def token_list_command(
    context: typer.Context,
    username: Annotated[Optional[str], typer.Argument(help="Only this account's tokens. Default: every account's.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: a list of {token_id, username, label, created_at, expires_at, last_used_at, revoked_at, state}.")] = False,
) -> None:
    """List the API tokens (never the tokens themselves): whose, what for, when made, used, expiring; active, expired or revoked.

    Example:
        chronicle user token list
        chronicle user token list feed-bot --json
    """
    from chronicle.accounts import Accounts

    cli = _shell()
    with cli.refusals(), context.obj.open_database() as database:
        accounts = Accounts(database)
        tokens = accounts.tokens(username)
        now = accounts.clock()
    if as_json:
        cli._print_json([token.to_json(now) for token in tokens])
        return
    table = Table("id", "username", "label", "created", "expires", "last used", "state", title=f"{len(tokens):,} API tokens")
    for token in tokens:
        table.add_row(str(token.token_id), escape(token.username), escape(cli.printable(token.label or "")), _when(token.created_at),
                      _when(token.expires_at) or "never", _when(token.last_used_at) or "never", token.state(now))
    cli.out.print(table)


@tokens_app.command("revoke")
def token_revoke_command(
    context: typer.Context,
    token_id: Annotated[int, typer.Argument(help="The token's id, as `user token list` shows it.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the token as JSON, shaped like one item of `user token list --json`.")] = False,
) -> None:
    """Revoke an API token: it is refused from the next request on.

    Example:
        chronicle user token revoke 3
    """
    from chronicle.accounts import Accounts

    cli = _shell()
    with cli.refusals(), context.obj.open_database() as database:
        accounts = Accounts(database)
        before = accounts.token(token_id)
        token = accounts.revoke_token(token_id)
        now = accounts.clock()
    if as_json:
        cli._print_json(token.to_json(now))
    if before is not None and before.revoked_at is not None:
        cli.err.print(f"API token {token.token_id} of {token.username} was already revoked; nothing changed.", markup=False, soft_wrap=True)
    else:
        cli.err.print(f"Revoked API token {token.token_id} of {token.username}.", markup=False, soft_wrap=True)
