"""A small seccomp filter, written as classic BPF through ctypes: the system calls that
reach outside the sandbox in ways namespaces and Landlock do not cover.

Why not libseccomp: its Python bindings are not on PyPI as a wheel (Debian's python3-seccomp
belongs to the system Python only), and the filter is a dozen instructions. It fails calls
with EPERM (a clear Python error for the student) instead of killing the process:

- ``socket()`` for every family: UDP, raw and netlink sockets, which Landlock does not restrict
  (it rules TCP only), and pathname unix sockets, whose ``connect`` Landlock does not rule
  either (the host's D-Bus, Docker or ssh-agent sockets): without network namespaces the child
  has no network at all. ``socketpair()`` stays allowed (multiprocessing's pipes use it);
- ``ptrace``, ``process_vm_readv``/``writev``: no reading or writing other processes' memory;
- ``io_uring_setup`` (works around seccomp), ``bpf``, ``perf_event_open``, ``userfaultfd``,
  ``keyctl``/``add_key``/``request_key`` (the kernel keyring is shared per user), ``setns``,
  ``mount``-family calls never needed by student code.

A filter stays for the process and everything it starts. Unknown architectures: no filter
(``supported()`` is False, and the judge reports it).
"""
from __future__ import annotations

import ctypes
import errno
import platform
import struct
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000

# Syscall numbers per architecture: (audit arch, {name: number})
_ARCHES = {
    "x86_64": (0xC000003E, {
        "socket": 41, "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
        "io_uring_setup": 425, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
        "keyctl": 250, "add_key": 248, "request_key": 249, "setns": 308, "mount": 165,
        "umount2": 166, "pivot_root": 155, "open_tree": 428, "move_mount": 429, "fsopen": 430,
        "fsmount": 432, "kexec_load": 246, "init_module": 175, "finit_module": 313,
    }),
    "aarch64": (0xC00000B7, {
        "socket": 198, "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271,
        "io_uring_setup": 425, "bpf": 280, "perf_event_open": 241, "userfaultfd": 282,
        "keyctl": 219, "add_key": 217, "request_key": 218, "setns": 268, "mount": 40,
        "umount2": 39, "pivot_root": 41, "open_tree": 428, "move_mount": 429, "fsopen": 430,
        "fsmount": 432, "kexec_load": 104, "init_module": 105, "finit_module": 273,
    }),
}

# BPF opcodes
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_RET_K = 0x06
_OFF_NR, _OFF_ARCH = 0, 4


def supported() -> bool:
    return sys.platform.startswith("linux") and platform.machine() in _ARCHES


def _program() -> tuple[bytes, int]:
    arch, numbers = _ARCHES[platform.machine()]
    deny = SECCOMP_RET_ERRNO | errno.EPERM
    blocked = list(numbers.values())
    ins: list[tuple[int, int, int, int]] = []

    def op(code, jt, jf, k):
        ins.append((code, jt, jf, k))

    op(_LD_W_ABS, 0, 0, _OFF_ARCH)
    op(_JEQ_K, 1, 0, arch)  # another ABI (x32, ia32): refuse everything it tries
    op(_RET_K, 0, 0, deny)
    op(_LD_W_ABS, 0, 0, _OFF_NR)
    for number in blocked:
        op(_JEQ_K, 0, 1, number)
        op(_RET_K, 0, 0, deny)
    op(_RET_K, 0, 0, SECCOMP_RET_ALLOW)
    return b"".join(struct.pack("HBBI", *i) for i in ins), len(ins)


def install() -> None:
    """Install the filter on this thread's process (no_new_privs is set first, as seccomp
    requires without CAP_SYS_ADMIN)."""
    if not supported():
        raise OSError(f"no seccomp filter for {platform.machine()}")
    code, count = _program()

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
    buffer = ctypes.create_string_buffer(code, len(code))
    prog = SockFprog(count, ctypes.cast(buffer, ctypes.c_char_p))
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP failed")
