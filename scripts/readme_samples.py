"""Regenerate the sample outputs in README.md from the program itself.

    python scripts/readme_samples.py          # rewrite README.md in place
    python scripts/readme_samples.py --check  # exit 1 and show a diff when a sample is out of date

A sample is a code block between two markers:

    <!-- sample -->                       every `$ dnn ...` line, then its output in full
    <!-- sample: first N lines -->        each command's output cut to its first N lines, then `...`
    <!-- sample: needs MODULE -->         run only where the optional MODULE (e.g. dask) is installed; elsewhere
                                          the block is kept as written (and so matches)
    <!-- sample: stderr, Ctrl-C once FILE exists -->  the first command gets SIGINT (a Ctrl-C) as soon as
                                          FILE (its first checkpoint) exists; only stderr is shown (the
                                          summary tables on stdout are left out)
    ```
    $ dnn ...
    ```
    <!-- /sample -->

The `$ ` lines are the source: the script runs each of them (a trailing `# comment` is ignored) and
writes what it printed below it, stdout and stderr as a user sees them, plain (no terminal), at
COLUMNS=100. All samples run in README order in ONE temporary directory that holds a copy of
configs/, so a sample may use a file an earlier one wrote (`fruit.npz`) and nothing lands in the
repository. The config reference block (between `<!-- config-reference -->` markers) is replaced by
`dnn_cli.config.reference_yaml()` when that function exists.

tests/test_readme.py runs this generator and fails when a sample differs from the README once the
machine-dependent figures (timings, epochs reached before a Ctrl-C) are masked: see `masked_samples`.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
COLUMNS = 100

SAMPLE = re.compile(r"<!-- sample(?::(?P<options>[^>]*))? -->\n```[^\n]*\n(?P<body>.*?)```\n<!-- /sample -->", re.S)
REFERENCE = re.compile(r"(<!-- config-reference -->\n```yaml\n)(?P<body>.*?)(```\n<!-- /config-reference -->)", re.S)
FIRST_LINES = re.compile(r"first (\d+) lines")
CTRL_C = re.compile(r"Ctrl-C once (\S+) exists")
NEEDS = re.compile(r"needs ([\w.]+)")


@dataclass
class Sample:
    options: str
    commands: list[str]  # the `$ ` lines as written (without "$ ")
    span: tuple[int, int]  # where the block's body sits in the README text


def samples(text: str) -> list[Sample]:
    """The README's sample blocks, in order."""
    found = []
    for match in SAMPLE.finditer(text):
        commands = [line[2:] for line in match["body"].splitlines() if line.startswith("$ ")]
        found.append(Sample((match["options"] or "").strip(), commands, match.span("body")))
    return found


def argv(command: str) -> list[str]:
    """`dnn train x.yaml  # note` -> the program's argv, run with the interpreter running this script."""
    words = shlex.split(command, comments=True)
    if not words or words[0] != "dnn":
        raise SystemExit(f"readme_samples: a sample command must start with 'dnn', got {command!r}")
    return [sys.executable, "-m", "dnn_cli", *words[1:]]


def environment() -> dict:
    env = dict(os.environ, COLUMNS=str(COLUMNS), LINES="50", NO_COLOR="1", PYTHONUNBUFFERED="1", TERM="dumb")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run(command: str, workdir: Path, *, interrupt_once: str | None = None, stderr_only: bool = False) -> str:
    """What `command` prints (stdout and stderr interleaved, or stderr alone), trailing spaces removed.

    interrupt_once: a file name; SIGINT is sent as soon as it exists in `workdir` (the run's first checkpoint).
    """
    process = subprocess.Popen(argv(command), cwd=workdir, env=environment(), text=True,
                               stdout=subprocess.DEVNULL if stderr_only else subprocess.PIPE,
                               stderr=subprocess.PIPE if stderr_only else subprocess.STDOUT)
    if interrupt_once is not None:
        deadline = time.monotonic() + 300
        while not (workdir / interrupt_once).exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=600)
    output = stderr if stderr_only else stdout
    if interrupt_once is not None:
        output = "^C\n" + output.lstrip("\n")
    return "\n".join(line.rstrip() for line in output.splitlines())


def missing_module(sample: Sample) -> bool:
    """Whether the sample needs an optional module that is not installed here."""
    import importlib.util

    needs = NEEDS.search(sample.options)
    if needs is None:
        return False
    try:
        return importlib.util.find_spec(needs[1]) is None
    except ModuleNotFoundError:  # its parent package is missing
        return True


def render(sample: Sample, workdir: Path) -> str:
    """The block's new body: each `$ ` line followed by its output."""
    first = FIRST_LINES.search(sample.options)
    ctrl_c = CTRL_C.search(sample.options)
    lines = []
    for k, command in enumerate(sample.commands):
        interrupt = ctrl_c[1] if ctrl_c and k == 0 else None
        output = run(command, workdir, interrupt_once=interrupt, stderr_only="stderr" in sample.options)
        shown = output.splitlines()
        if first and len(shown) > int(first[1]):
            shown = shown[: int(first[1])] + ["..."]
        lines += [f"$ {command}", *shown]
    return "\n".join(lines) + "\n"


def reference_yaml() -> str | None:
    """The config reference from the schema, when dnn_cli.config provides it."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from dnn_cli import config

    function = getattr(config, "reference_yaml", None)
    return None if function is None else function().rstrip("\n") + "\n"


def regenerate(text: str, workdir: Path) -> str:
    """`text` with every sample (and the config reference, when available) produced afresh."""
    shutil.copytree(ROOT / "configs", workdir / "configs", dirs_exist_ok=True)
    pieces, end = [], 0
    for sample in samples(text):
        start, stop = sample.span
        pieces += [text[end:start], text[start:stop] if missing_module(sample) else render(sample, workdir)]
        end = stop
    text = "".join(pieces) + text[end:]
    reference = reference_yaml()
    if reference is not None:
        text = REFERENCE.sub(lambda m: m[1] + reference + m[3], text)
    return text


# Figures that differ from run to run or machine to machine: timings, and how far a run got before Ctrl-C.
TIMING = re.compile(r"\b\d+(?:\.\d+)?(?:e-?\d+)? ?(?:s|ms|µs)\b")
SECONDS = re.compile(r'("seconds": )[\d.e+-]+')


def masked_samples(text: str) -> str:
    """`text` with machine-dependent figures replaced and table padding removed, for comparing samples."""
    out = []
    for match in SAMPLE.finditer(text):
        body = TIMING.sub("<time>", match["body"])
        body = SECONDS.sub(r"\1<seconds>", body)
        if CTRL_C.search(match["options"] or ""):
            body = "\n".join(re.sub(r"\d+", "<n>", line) if not line.startswith("$ ") else line
                             for line in body.splitlines())
        # rich pads columns to the widest cell: a longer timing must not count as a difference
        body = "\n".join(re.sub(r"[ ━─═]+", " ", line).strip() for line in body.splitlines())
        out.append(f"<!-- sample:{match['options'] or ''} -->\n{body}")
    return "\n\n".join(out)


def out_of_date(text: str, new: str) -> bool:
    """Whether the README `text` differs from its regeneration `new` beyond machine-dependent figures."""
    reference = [m["body"] for m in REFERENCE.finditer(text)], [m["body"] for m in REFERENCE.finditer(new)]
    return masked_samples(text) != masked_samples(new) or reference[0] != reference[1]


def main(argv_: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 when a sample is out of date")
    args = parser.parse_args(argv_)
    text = README.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="dnn-readme-") as workdir:
        new = regenerate(text, Path(workdir))
    if args.check:
        if out_of_date(text, new):
            print("\n".join(difflib.unified_diff(text.splitlines(), new.splitlines(), "README.md", "regenerated",
                                                 lineterm="")))
            return 1
        print(f"{README.relative_to(ROOT)}: {len(samples(text))} samples match the program")
        return 0
    if new != text:
        README.write_text(new, encoding="utf-8")
        print(f"rewrote {README.relative_to(ROOT)}: {len(samples(new))} samples")
    else:
        print(f"{README.relative_to(ROOT)} is up to date: {len(samples(new))} samples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
