"""``millstream keys create|list|disable|revoke``: access keys (admin API).

A secret is shown once, when created; ``--save-profile`` stores it in the credentials
file (mode 0600) so the CLI can use it right away.
"""

from __future__ import annotations

from typing import Annotated

import typer

from millstream.cli.commands.deployments import YesOpt
from millstream.cli.options import OutputOpt
from millstream.cli.output import render
from millstream.cli.state import OutputFormat, state_of
from millstream.client import credentials_path, write_profile

__all__ = ["register"]

keys_app = typer.Typer(help="Create, list, disable, enable and revoke access keys.")
KeyArg = Annotated[str, typer.Argument(help="AccessKey ID.")]


@keys_app.command("create")
def create(
    ctx: typer.Context,
    user: Annotated[
        str | None, typer.Option("--user", help="Owner of the key (default: the caller).")
    ] = None,
    create_user: Annotated[
        bool, typer.Option("--create-user", help="Create the user if it does not exist.")
    ] = False,
    save_profile: Annotated[
        str | None,
        typer.Option("--save-profile", help="Also save the key as this profile."),
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Create an access key; its secret is shown only now."""
    state = state_of(ctx)
    client = state.client()
    key = client.create_key(user=user, create_user=create_user)
    if state.format(output) is OutputFormat.TABLE:
        render(
            state,
            key,
            output,
            columns=[
                ("ACCESS KEY ID", lambda k: k.access_key_id),
                ("ACCESS KEY SECRET", lambda k: k.access_key_secret),
                ("USER", lambda k: k.owner),
                ("STATUS", lambda k: k.status),
            ],
        )
        state.err().print("[yellow]Save the secret now: it cannot be shown again.[/yellow]")
    else:
        render(state, key, output)
    if save_profile:
        config = client.config
        path = credentials_path()
        write_profile(
            path,
            save_profile,
            url=config.url,
            access_key_id=key.access_key_id,
            access_key_secret=key.access_key_secret,
            workspace=config.workspace,
            namespace=config.namespace,
        )
        state.err().print(f"Saved as profile {save_profile!r} in {path}")


@keys_app.command("list")
def list_(ctx: typer.Context, output: OutputOpt = None) -> None:
    """List access keys (never their secrets)."""
    state = state_of(ctx)
    render(state, state.client().list_keys(), output)


@keys_app.command("disable")
def disable(ctx: typer.Context, key_id: KeyArg, output: OutputOpt = None) -> None:
    """Disable a key: requests signed with it are refused until it is enabled again."""
    state = state_of(ctx)
    render(state, state.client().disable_key(key_id), output)


@keys_app.command("enable")
def enable(ctx: typer.Context, key_id: KeyArg, output: OutputOpt = None) -> None:
    """Enable a disabled key again."""
    state = state_of(ctx)
    render(state, state.client().enable_key(key_id), output)


@keys_app.command("revoke")
def revoke(ctx: typer.Context, key_id: KeyArg, yes: YesOpt = False) -> None:
    """Revoke (delete) a key for good."""
    state = state_of(ctx)
    if not yes:
        typer.confirm(f"Revoke access key {key_id}? This cannot be undone.", abort=True)
    state.client().revoke_key(key_id)
    state.err().print(f"Revoked access key {key_id}")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
