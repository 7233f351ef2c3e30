#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Example replayer of the sep-conform corpus (docs/conform-format.md).

    tools/conform/replay.py tools/conform/golden/6.12.conform

Replays the traces that use only eventfds, pipes, unix socketpairs and
epolls, without faulting buffers; skips the others.  Calls go through libc
(ctypes), so this is also a template for a harness in another language.
"""
import ctypes, errno, os, socket, struct, sys

libc = ctypes.CDLL(None, use_errno=True)
EV = ["in", "pri", "out", "err", "hup", None, "rdnorm", "rdband", "wrnorm",
      "wrband", "msg", None, None, "rdhup"]
HIGH = {"excl": 1 << 28, "wakeup": 1 << 29, "oneshot": 1 << 30, "et": 1 << 31}
NAMES = dict((n, 1 << i) for i, n in enumerate(EV) if n) | HIGH
OK_OPS = {"epoll", "ctl", "wait", "eventfd", "pipe", "socketpair", "write",
          "read", "hangup", "close", "dup"}
BADFD = 9999


def events_in(s):
    v = 0
    for t in s.split("|"):
        v |= int(t, 16) if t.startswith("0x") else NAMES.get(t, 0)
    return v


def events_out(v):
    names = [n for n, b in list(NAMES.items())[:11] + list(HIGH.items()) if v & b]
    rest = v & ~sum(NAMES[n] for n in names)
    return "|".join(names + ([hex(rest)] if rest else [])) or "0"


def err(r):
    return "-1 " + errno.errorcode[ctypes.get_errno()] if r < 0 else str(r)


class World:
    def __init__(self):
        self.fd, self.peer, self.eps = {}, {}, set()

    def get(self, n):
        return BADFD if n == "badfd" else self.fd.get(n, BADFD)

    def step(self, op, a):
        if op == "eventfd":
            self.fd[a[0]] = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        elif op == "pipe":
            r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
            self.fd[a[0]], self.fd[a[0] + ".w"] = r, w
            self.peer[a[0]], self.peer[a[0] + ".w"] = a[0] + ".w", a[0]
        elif op == "socketpair":
            x, y = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            x.setblocking(False), y.setblocking(False)
            self.fd[a[0]], self.fd[a[0] + ".peer"] = x.detach(), y.detach()
            self.peer[a[0]], self.peer[a[0] + ".peer"] = a[0] + ".peer", a[0]
        elif op == "write":
            n = int(a[1]) if len(a) > 1 else 1
            if a[0] in self.peer:
                os.write(self.get(self.peer[a[0]]), b"x" * n)
            else:
                os.eventfd_write(self.get(a[0]), n)
        elif op == "read":
            try:
                while os.read(self.get(a[0]), 65536):
                    pass
            except OSError:
                pass
        elif op == "hangup":
            p = self.peer[a[0]]
            os.close(self.fd.pop(p))
        elif op == "close":
            os.close(self.fd.pop(a[0]))
        elif op == "dup":
            self.fd[a[1]] = os.dup(self.get(a[0]))
            if a[0] in self.eps:
                self.eps.add(a[1])
            if a[0] in self.peer:
                self.peer[a[1]] = self.peer[a[0]]

    def call(self, op, a):
        if op == "epoll":
            r = libc.epoll_create1(0x80000 if "cloexec" in a else 0)
            if r >= 0:
                self.fd[a[0]] = r
                self.eps.add(a[0])
            return "ok" if r >= 0 else err(r)
        if op == "ctl":
            ops = {"add": 1, "del": 2, "mod": 3}
            ev = struct.pack("=IQ", events_in(a[3]) if len(a) > 3 else 0,
                             int(a[4]) if len(a) > 4 else 0)
            buf = ctypes.create_string_buffer(ev, 12)
            o = ops.get(a[1]) or int(a[1], 0)
            return err(libc.epoll_ctl(self.get(a[0]), o, self.get(a[2]), buf))
        mx, to = int(a[1], 0), int(a[2])
        n = min(max(mx, 0), 1024)           # as the reference: <= 1024 slots
        buf = ctypes.create_string_buffer(b"\xa5" * 12 * n, 12 * max(n, 1))
        r = libc.epoll_wait(self.get(a[0]), buf, mx, to)
        res = err(r)
        for i in range(max(r, 0)):
            e, d = struct.unpack_from("=IQ", buf, 12 * i)
            res += " %s:%d" % (events_out(e), d)
        if any(b != 0xa5 for b in buf.raw[12 * max(r, 0):12 * n]):
            res += " dirty"        # the reference prints the bytes
        return res

    def close_all(self):
        for fd in self.fd.values():
            os.close(fd)


def run(ops, upto=None, probe_ep=None):
    w, results = World(), []
    for i, (line, _) in enumerate(ops[: None if upto is None else upto + 1]):
        op, *a = line.split()
        if op in ("epoll", "ctl", "wait"):
            r = w.call(op, a)
            if op == "wait" and upto is None and a[0] in w.fd and a[0] in w.eps:
                r += " order" + run(ops, i, a[0])
            results.append(r)
        else:
            w.step(op, a)
    if probe_ep is not None:        # the ready order, on this clone
        seen, buf = [], ctypes.create_string_buffer(12)
        while len(seen) < 64 and libc.epoll_wait(w.get(probe_ep), buf, 1, 0) == 1:
            d = struct.unpack_from("=IQ", buf)[1]
            if d in seen:
                break
            seen.append(d)
        w.close_all()
        return "".join(" %d" % d for d in seen)
    w.close_all()
    return results


def main(path):
    traces, cur, npass, nfail, nskip = [], None, 0, 0, 0
    for line in open(path):
        line = line.strip()
        if line.startswith("trace "):
            cur = (line.split()[1], [])
            traces.append(cur)
        elif line == "end" or not line or line.startswith("#") or cur is None:
            continue
        elif line.startswith("="):
            cur[1][-1] = (cur[1][-1][0], line[2:])
        else:
            cur[1].append((line, None))
    for name, ops in traces:
        if any(l.split()[0] not in OK_OPS or "=" in l or "cloexec" in l[6:] and
               l.startswith("socketpair") for l, _ in ops) or any(
               " dgram" in l or " seqpacket" in l for l, _ in ops):
            nskip += 1
            continue
        got = run(ops)
        exp = [e for _, e in ops if e is not None]
        bad = [(g, e) for g, e in zip(got, exp) if g != e]
        if bad:
            nfail += 1
            print("not ok - %s: expected = %s, got = %s" % (name, bad[0][1], bad[0][0]))
        else:
            npass += 1
    print("conform: %d passed, %d failed, %d skipped" % (npass, nfail, nskip))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
