"""Landlock through ctypes: file-system allow-lists, TCP rules and scoping, for an
unprivileged process (no root, no namespaces needed).

Why ctypes and not a binding: Landlock is three system calls with small fixed structures
(``linux/landlock.h``); the Python bindings on PyPI lag the kernel's ABI (signal and abstract
socket scoping came with ABI 6) and would be one more thing for the jail to import before
it has locked anything. Standard library only: the jail imports this before exec'ing the child.

A ruleset lists the accesses it *handles*; anything handled and not granted by a rule is
denied to this process and everything it starts, for ever. Which accesses exist depends on
the kernel's ABI version, so :func:`restrict` asks the kernel first and handles only those.
"""
from __future__ import annotations

import ctypes
import os
import sys

SYS_LANDLOCK_CREATE_RULESET = 444  # the same number on every architecture
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
RULE_NET_PORT = 2

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

READ = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
_WRITE_ABI1 = (FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_CHAR | FS_MAKE_DIR | FS_MAKE_REG
               | FS_MAKE_SOCK | FS_MAKE_FIFO | FS_MAKE_BLOCK | FS_MAKE_SYM)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # the kernel's struct is __attribute__((packed))
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def abi_version() -> int:
    """The kernel's Landlock ABI (0: not available, e.g. not in the LSM list or blocked by seccomp)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        version = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                                ctypes.c_uint32(CREATE_RULESET_VERSION))
    except Exception:
        return 0
    return max(0, int(version))


def fs_access(abi: int) -> int:
    """Every file-system access this ABI can handle."""
    access = READ | _WRITE_ABI1
    if abi >= 2:
        access |= FS_REFER
    if abi >= 3:
        access |= FS_TRUNCATE
    if abi >= 5:
        access |= FS_IOCTL_DEV
    return access


def restrict(read: list[str], write: list[str], *, deny_tcp: bool = True, scope: bool = True) -> dict:
    """Lock this process (and all it starts) to reading ``read`` and writing ``write``
    (directories or single files); deny TCP bind/connect (ABI 4) and, with ``scope`` (ABI 6),
    signals and abstract unix sockets towards anything outside the sandbox.
    Needs ``PR_SET_NO_NEW_PRIVS`` (or CAP_SYS_ADMIN). Returns what was enforced."""
    abi = abi_version()
    if abi < 1:
        raise OSError("Landlock is not available on this kernel")
    handled = fs_access(abi)
    attr = _RulesetAttr(handled, NET_BIND_TCP | NET_CONNECT_TCP if (deny_tcp and abi >= 4) else 0,
                        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if (scope and abi >= 6) else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    ruleset = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                            ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        writable = handled & ~READ | READ
        for paths, allowed in ((read, READ), (write, writable)):
            for path in paths:
                _add_path(int(ruleset), path, allowed)
        if _libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(int(ruleset))
    return {"abi": abi, "tcp": bool(attr.handled_access_net), "scoped": bool(attr.scoped)}


def _add_path(ruleset: int, path: str, allowed: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a path that does not exist grants nothing
    try:
        if not os.path.isdir(path):  # rules on files may only carry file accesses
            allowed &= FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
        rule = _PathBeneathAttr(allowed, fd)
        if _libc.syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                         ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
    finally:
        os.close(fd)
