"""Run sitegen with stderr on a pseudo-terminal, as a person at a terminal does: what the progress line draws."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path


def on_a_terminal(root: Path, *args: str, command: str = "convert") -> tuple[bytes, bytes]:
    """Run ``sitegen COMMAND`` with stderr on a pseudo-terminal: (stdout, what the terminal showed)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "sitegen", command, "--root", str(root), *args],
            stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL, check=False, timeout=120,
        )  # fmt: skip
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal has no writer left
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    assert done.returncode == 0
    return done.stdout, shown
