"""test_manpages.py — docs/showtable.1 and docs/showtablectl.1 against the programs.

The pages must render with no groff warning, and list exactly the long options (and the
SHOWTABLE_* variables) that `--help` of each program and of each showtablectl command
print: an option added, renamed or removed in the code fails here until the page follows.
"""
import os
import re
import shutil
import subprocess

import pytest

from conftest import ROOT, SAN, binary

DOCS = os.path.join(ROOT, "docs")
OPT_RE = re.compile(r"(?<![A-Za-z0-9_-])--[a-z][a-z0-9-]*")
GROFF_HINT = "groff is not installed: run scripts/install-deps.sh (package groff-base)"


def groff():
    exe = shutil.which("groff")
    if not exe:
        pytest.fail(GROFF_HINT)
    return exe


def env():
    e = dict(os.environ)
    if SAN:
        e.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        e.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    return e


def render(page):
    """The page as plain text, one line per paragraph (a very long line: nothing wraps or
    is hyphenated, so an option is never split across lines)."""
    r = subprocess.run([groff(), "-mandoc", "-Tascii", "-P-c", "-P-b", "-P-u", "-rLL=10000n",
                        os.path.join(DOCS, page)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def run(prog, *args):
    """stdout + stderr of the program (a command without --help prints why on stderr)."""
    r = subprocess.run([binary(prog), *args], capture_output=True, text=True, timeout=30,
                       env=env(), stdin=subprocess.DEVNULL)
    assert "Sanitizer" not in r.stderr, r.stderr
    return r.returncode, r.stdout + r.stderr


def opts(text):
    return set(OPT_RE.findall(text))


def variables(text):
    """AWS_* and SHOWTABLE_* names; "AWS_ENDPOINT_URL_<SERVICE>" gives "AWS_ENDPOINT_URL"."""
    return {v.rstrip("_") for v in re.findall(r"\b(?:AWS|SHOWTABLE)_[A-Z0-9_]+", text)}


def ctl_commands(main_help):
    """The commands listed under "commands:" in `showtablectl --help`."""
    section = main_help.split("\ncommands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in section.splitlines() if line.startswith("  ")]


def ctl_sections(text, commands):
    """Text of each command's entry in showtablectl.1: from a line indented 5 spaces that
    starts with the command to the next entry at that indentation."""
    out, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^ {5}(\S+)", line)
        if m:
            cur = m.group(1) if m.group(1) in commands else None
        if cur:
            out[cur] = out.get(cur, "") + line + "\n"
    return out


@pytest.mark.parametrize("page", ["showtable.1", "showtablectl.1"])
@pytest.mark.parametrize("device", ["utf8", "ascii"])
def test_page_renders_without_warnings(page, device):
    r = subprocess.run([groff(), "-mandoc", "-ww", "-z", "-T" + device, os.path.join(DOCS, page)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr


@pytest.mark.parametrize("prog", ["showtable", "showtablectl"])
def test_page_names_every_variable_its_help_names(prog):
    _, help_text = run(prog, "--help")
    page = render(prog + ".1")
    missing = {v for v in variables(help_text) if v not in page}
    assert len(variables(help_text)) >= 4 and missing == set()


@pytest.mark.parametrize("page", ["showtable.1", "showtablectl.1"])
def test_page_has_the_openbsd_sections(page):
    heads = re.findall(r"^([A-Z][A-Z ]+)$", render(page), re.M)
    for want in ["NAME", "SYNOPSIS", "DESCRIPTION", "ENVIRONMENT", "FILES", "EXIT STATUS",
                 "EXAMPLES", "SEE ALSO"]:
        assert want in heads, f"{page} has no {want} section (it has {heads})"


def test_showtable_page_lists_exactly_the_options_of_its_help():
    rc, help_text = run("showtable", "--help")
    assert rc == 0, help_text
    in_help, in_page = opts(help_text), opts(render("showtable.1"))
    assert len(in_help) > 20  # the whole list was read, not a fragment
    assert in_help - in_page == set(), "in --help but not in docs/showtable.1"
    assert in_page - in_help == set(), "in docs/showtable.1 but not in --help"


def test_showtable_page_names_each_option_with_its_variable():
    _, help_text = run("showtable", "--help")
    page = render("showtable.1")
    # --help prints "  --flag ARG   text\n   [VAR, default D]": pair each flag with its VAR
    pairs = re.findall(r"^  (--[a-z-]+) .*\n\s+\[(SHOWTABLE_[A-Z_]+)", help_text, re.M)
    assert len(pairs) > 20
    for flag, var in pairs:
        entry = re.search(r"^ {5}" + re.escape(flag) + r"\b.*\n(?: {13}.*\n)*", page, re.M)
        assert entry, f"docs/showtable.1 has no entry for {flag}"
        named = re.search(r"\b" + var + r"\b", entry.group(0))
        assert named, f"the entry of {flag} does not name {var}"
    in_page = set(re.findall(r"SHOWTABLE_[A-Z_]+", page))
    assert in_page == {v for _, v in pairs}


def test_showtablectl_page_lists_exactly_the_options_of_its_helps():
    rc, main_help = run("showtablectl", "--help")
    assert rc == 0, main_help
    in_help = opts(main_help)
    for cmd in ctl_commands(main_help):
        in_help |= opts(run("showtablectl", cmd, "--help")[1])
    in_page = opts(render("showtablectl.1"))
    assert in_help - in_page == set(), "in a --help but not in docs/showtablectl.1"
    assert in_page - in_help == set(), "in docs/showtablectl.1 but in no --help"


def test_showtablectl_page_documents_each_command_with_its_own_options():
    _, main_help = run("showtablectl", "--help")
    commands = ctl_commands(main_help)
    assert len(commands) >= 12
    main_lines = {line.split()[0]: line for line in main_help.splitlines()
                  if line.startswith("  ") and line.split()[0] in commands}
    global_opts = opts(main_help.split("\ncommands:\n", 1)[0])
    sections = ctl_sections(render("showtablectl.1"), commands)
    for cmd in commands:
        assert cmd in sections, f"docs/showtablectl.1 has no entry for the command {cmd}"
        rc, text = run("showtablectl", cmd, "--help")
        # A command without --help still names its flags in its error and in the main list.
        own = (opts(text) | opts(main_lines[cmd])) - {"--help"}
        documented = opts(sections[cmd])
        assert own - documented == set(), f"{cmd}: options missing from its man page entry"
        assert documented - own - global_opts == set(), f"{cmd}: options it does not take"


def test_every_showtablectl_command_answers_help():
    """`showtablectl COMMAND --help` prints a usage line and exits 0 for every command, as
    the page says."""
    _, main_help = run("showtablectl", "--help")
    for cmd in ctl_commands(main_help):
        rc, text = run("showtablectl", cmd, "--help")
        assert rc == 0 and "usage" in text.lower() and cmd in text, f"{cmd} --help: {text}"
    assert "prints the command's usage and exits 0" in render("showtablectl.1")


def test_showtablectl_page_variables_exist():
    """Every SHOWTABLE_* variable of the page is named in --help or read in src/ctl, and every
    one --help names is on the page."""
    _, main_help = run("showtablectl", "--help")
    page = set(re.findall(r"SHOWTABLE_[A-Z_]+", render("showtablectl.1")))
    in_help = set(re.findall(r"SHOWTABLE_[A-Z_]+", main_help))
    src = ""
    for d in ("src/ctl", "src/aws"):
        for f in sorted(os.listdir(os.path.join(ROOT, d))):
            if f.endswith(".c"):
                with open(os.path.join(ROOT, d, f)) as fh:
                    src += fh.read()
    # the ways src/ctl reads a variable: getenv and its helpers env_or, env_long, ctl_env_ms
    read = set(re.findall(r'(?:getenv|env_or|env_long|ctl_env_ms)\(\s*"(SHOWTABLE_[A-Z_]+)"', src))
    assert in_help - page == set(), "named in --help but not in docs/showtablectl.1"
    unknown = page - in_help - read
    assert unknown == set(), "in docs/showtablectl.1 but read nowhere in src/ctl or src/aws"
