"""Parsing the command line the house way: negative numbers as arguments, usage errors as error/hint lines."""

from __future__ import annotations

import re
from typing import Any

from typer._click.core import Context as ClickContext
from typer._click.exceptions import ClickException
from typer._click.exceptions import UsageError as ClickUsageError
from typer._click.parser import _OptionParser, _ParsingState  # what click's Command.make_parser builds
from typer.core import TyperCommand

from chrono_cli.cli.coerce import install as install_coercion

_NEGATIVE_NUMBER = re.compile(r"^-\d+(\.\d+)?$")


class _NegativeNumberParser(_OptionParser):
    """An option parser that reads ``-7`` as an argument unless the command has an option spelt ``-7``.

    While the shell completes (resilient parsing), an option still waiting for its value at the end of the line
    (``show users 42 --version <TAB>``) is no error: the arguments before it stay parsed for the completer.
    """

    def _get_value_from_state(self, option_name: str, option: Any, state: _ParsingState) -> Any:
        if self.ctx is not None and self.ctx.resilient_parsing and len(state.rargs) < option.nargs:
            return None
        return super()._get_value_from_state(option_name, option, state)

    def _process_args_for_options(self, state: _ParsingState) -> None:
        # click's own loop, with one more branch: a negative number that is no option of this command
        while state.rargs:
            arg = state.rargs.pop(0)
            if arg == "--":
                return
            if _NEGATIVE_NUMBER.match(arg) and arg not in self._short_opt and arg not in self._long_opt:
                state.largs.append(arg)
            elif arg[:1] in self._opt_prefixes and len(arg) > 1:
                self._process_opts(arg, state)
            elif self.allow_interspersed_args:
                state.largs.append(arg)
            else:
                state.rargs.insert(0, arg)
                return


def keep_examples(help_text: str) -> str:
    """Mark the indented paragraphs after ``Example:`` so --help prints them line by line, unwrapped."""
    paragraphs = help_text.split("\n\n")
    in_examples = False
    for i, para in enumerate(paragraphs):
        if para.strip().rstrip(":").lower() in ("example", "examples"):
            in_examples = True
        elif in_examples and para.startswith((" ", "\t")):
            paragraphs[i] = "\b\n" + para
        elif not para.startswith("\b"):
            in_examples = False
    return "\n\n".join(paragraphs)


class ChronoCommand(TyperCommand):
    """A typer command whose parser takes negative numbers (``chrono history account -7``) as arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:  # TABLE, not "TABLE <str>": a named argument says what it takes
            if param.param_type_name == "argument" and param.metavar:
                param.display_type_rich = lambda ctx: None  # type: ignore[attr-defined]

    def get_params(self, ctx: ClickContext) -> list[Any]:
        return install_coercion(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: ClickContext) -> list[str]:
        """``chrono history [OPTIONS] TABLE KEY``: required arguments bare, optional ones in brackets."""
        return [re.sub(r"^\{(.*)\}((?:\.\.\.)?)$", r"\1\2", piece) for piece in super().collect_usage_pieces(ctx)]

    def make_parser(self, ctx: ClickContext) -> _OptionParser:
        parser = _NegativeNumberParser(ctx)
        for param in self.get_params(ctx):
            param.add_to_parser(parser, ctx)
        return parser


def usage_lines(exc: ClickException) -> tuple[str, str | None]:
    """The house ``error:`` message and ``hint:`` for one of click's usage errors."""
    message = exc.format_message().strip().rstrip(".").replace("Value error, ", "")
    hint: str | None = None
    suggestion = re.search(r"[.\s]*\((?:Possible options|Did you mean):? (.+?)\??\)$|[.\s]*Did you mean (.+?)\?$",
                           message)
    if suggestion:
        message = message[:suggestion.start()]
        hint = f"did you mean {(suggestion.group(1) or suggestion.group(2)).replace(', ', ' or ')}?"
    message = message[:1].lower() + message[1:]
    if hint is None and isinstance(exc, ClickUsageError) and exc.ctx is not None:
        hint = f"run '{exc.ctx.command_path} --help'"
    return message, hint
