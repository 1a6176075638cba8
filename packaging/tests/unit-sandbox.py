#!/usr/bin/python3
"""Runs a command under the kernel-side restrictions a systemd unit file asks for.

    unit-sandbox.py UNIT_FILE -- COMMAND [ARG...]

For packaging/test-packages: no systemd runs in CI, so the unit is never started, but
its most likely way to break the agent on a real host is a system call or socket
family the unit forbids and the Swift runtime, SwiftNIO or libnl need. This applies,
from the unit file itself, then execs COMMAND (same pid):

- SystemCallFilter= (every line, systemd's semantics: the first line without ~ makes an
  allow list, later ~ lines remove from it, groups expanded with
  `systemd-analyze syscall-filter`), SystemCallErrorNumber= (default EPERM),
  SystemCallArchitectures=native;
- RestrictAddressFamilies= (socket() with another family fails with EAFNOSUPPORT);
- MemoryDenyWriteExecute=yes through prctl(PR_SET_MDWE) (Linux 6.3+; skipped with a
  note on older kernels);
- NoNewPrivileges (needed for seccomp without CAP_SYS_ADMIN anyway).

User, capabilities and file-system settings are not emulated here (test-packages runs
the command as user kvmnet without capabilities through setpriv). Needs python3-seccomp
(Debian's /usr/bin/python3).
"""
import ctypes
import errno
import os
import re
import socket
import subprocess
import sys

import seccomp


def unit_settings(path):
    settings = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";", "[")):
                continue
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


_groups = {}


def expand(name):
    """Syscall names of a @group (recursively) or [name]."""
    if not name.startswith("@"):
        return {name}
    if name not in _groups:
        out = subprocess.run(["systemd-analyze", "syscall-filter", name], check=True,
                             capture_output=True, text=True).stdout
        members = set()
        for line in out.splitlines()[1:]:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            members |= expand(line)
        _groups[name] = members
    return _groups[name]


def syscall_allow_list(lines):
    allow, allow_mode = set(), None
    for value in lines:
        if value == "":
            allow, allow_mode = set(), None
            continue
        invert = value.startswith("~")
        names = set()
        for item in value.lstrip("~").split():
            names |= expand(item)
        if allow_mode is None:
            if invert:
                raise SystemExit("unit-sandbox: deny-list SystemCallFilter= is not emulated")
            allow_mode = True
        allow = allow - names if invert else allow | names
    return allow


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        raise SystemExit(__doc__)
    unit, command = sys.argv[1], sys.argv[3:]
    s = unit_settings(unit)

    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_NO_NEW_PRIVS, PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 38, 65, 1
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    notes = []
    if s.get("MemoryDenyWriteExecute", ["no"])[-1] == "yes":
        if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
            notes.append("MemoryDenyWriteExecute not emulated (no PR_SET_MDWE: Linux < 6.3)")
        else:
            notes.append("MemoryDenyWriteExecute")

    err = s.get("SystemCallErrorNumber", ["EPERM"])[-1]
    err_no = getattr(errno, err)
    allow = syscall_allow_list(s.get("SystemCallFilter", []))
    families = " ".join(s.get("RestrictAddressFamilies", [])).split()
    allowed_families = {int(getattr(socket, fam)) for fam in families}

    f = seccomp.SyscallFilter(defaction=seccomp.ERRNO(err_no) if allow else seccomp.ALLOW)
    unknown = 0
    for name in sorted(allow):
        if name == "socket" and allowed_families:
            continue  # conditional rules below
        try:
            f.add_rule(seccomp.ALLOW, name)
        except (ValueError, RuntimeError, OSError):
            unknown += 1  # not a syscall of this architecture (e.g. arm_fadvise64_64)
    if allow:
        notes.append(f"SystemCallFilter ({len(allow) - unknown} syscalls allowed, others {err})")
    if allowed_families:
        # Listed families pass (when socket is allowed at all); any other: EAFNOSUPPORT,
        # as systemd does.
        if not allow or "socket" in allow:
            top = max(allowed_families)
            if allow:
                for fam in sorted(allowed_families):
                    f.add_rule(seccomp.ALLOW, "socket", seccomp.Arg(0, seccomp.EQ, fam))
            f.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.GT, top))
            for fam in range(0, top):
                if fam not in allowed_families:
                    f.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.EQ, fam))
        notes.append("RestrictAddressFamilies=" + " ".join(families))
    if s.get("SystemCallArchitectures", [""])[-1] == "native":
        notes.append("SystemCallArchitectures=native")
    f.load()
    print("unit-sandbox: " + ", ".join(notes), file=sys.stderr, flush=True)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
