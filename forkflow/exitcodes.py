"""forkflow's exit codes, the one place they are defined (README: "Exit codes").

    EXIT_OK           0    done, nothing found
    EXIT_ERROR        1    a forkflow error; also a run where some node or step failed and the rest went on
    EXIT_USAGE        2    a usage mistake: an option or argument that is malformed, conflicts, or names nothing
    EXIT_UNEXPECTED   3    an unexpected error: the traceback goes to a private log file, a line says where
    EXIT_FINDING      4    a finding, not an error: policy violations, a hook refusal, a sync refusal,
                           a contribution that does not apply cleanly, a node past a security deadline
    EXIT_INTERRUPTED  130  interrupted (SIGINT or SIGTERM), as a shell reports 128 + SIGINT
    EXIT_CLOSED_PIPE  141  the reader of the output went away (``| head``), as a shell reports 128 + SIGPIPE

Only the command line (cli*.py) exits; the core returns results and raises errors.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2  # what click itself exits for a usage mistake (click.UsageError.exit_code)
EXIT_UNEXPECTED = 3
EXIT_FINDING = 4
EXIT_INTERRUPTED = 130
EXIT_CLOSED_PIPE = 141
