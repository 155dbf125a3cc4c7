"""``qcosim hw``: inspect accelerator descriptions (presets or YAML/JSON files).

A thin layer over `hwmodels`: every command calls one library function and
prints its result. Bad input (an unknown preset, a missing file, an invalid
field) is reported as one line on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import json
from typing import NoReturn

import typer

from hwmodels import (
    ConfigError,
    describe_presets,
    hardware_json_schema,
    load_hardware,
    render_summary,
    summarize_hardware,
)

__all__ = ["hw_app"]

hw_app = typer.Typer(
    help="Inspect accelerator descriptions: presets or YAML/JSON files.",
    no_args_is_help=True,
    add_completion=False,
)


def _fail(exc: ConfigError) -> NoReturn:
    from qcosim.cli import one_line

    typer.echo(f"error: {one_line(str(exc))}", err=True)
    raise typer.Exit(2)


@hw_app.command("show")
def show(
    source: str = typer.Argument(..., metavar="PRESET|FILE", help="Preset name or .yaml/.yml/.json file."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Show peak throughput per precision, memory levels and DRAM of an accelerator."""
    try:
        acc = load_hardware(source)
    except ConfigError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps(summarize_hardware(acc), indent=2))
    else:
        typer.echo(render_summary(acc), nl=False)


@hw_app.command("schema")
def schema() -> None:
    """Print the JSON schema of accelerator files."""
    typer.echo(json.dumps(hardware_json_schema(), indent=2))


@hw_app.command("list")
def list_cmd() -> None:
    """List the shipped presets with a one-line description each."""
    try:
        presets = describe_presets()
    except ConfigError as exc:
        _fail(exc)
    for name, description in presets.items():
        typer.echo(f"{name:<12} {description}")
