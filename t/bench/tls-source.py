#!/usr/bin/env python3
# tls-source.py: the load of `make bench`'s tls rows, STARTTLS sessions
# over SMTP, because Postfix's smtp-source has no TLS. Like smtp-source,
# one message and one recipient per connection, SESSIONS connections at a
# time, MESSAGES in all; every session is
#
#   connect, EHLO, STARTTLS, a full TLS handshake (no session reuse:
#   each connection gets a fresh SSL object and no saved session),
#   EHLO, MAIL, RCPT, DATA (a SIZE-byte message), QUIT
#
# with Python's smtplib and ssl (OpenSSL), default protocol versions and
# ciphers (TLS 1.2-1.3, whatever OpenSSL offers), the server certificate
# verified against --ca (the bench's test CA; the certificate names
# 127.0.0.1). The same client, unchanged, drives every server.
#
#   tls-source.py -s SESSIONS -m MESSAGES -l SIZE -f FROM -t TO --ca CA
#       [-P PROCS] HOST:PORT
#
# The sessions run as threads (OpenSSL and socket calls release the GIL)
# spread over PROCS processes (default: one per CPU, at most SESSIONS),
# so the client is not held to one CPU by the GIL. Output, on stdout, after the
# last session:
#
#   sessions N ok N failed F elapsed S
#   negotiated VERSION CIPHER: COUNT        (one line per combination)
#   error COUNT: TEXT                       (one line per kind, if any)
#
# Exit status 0 when every session delivered its message (250 to DATA),
# 1 otherwise, 2 on a usage error.
import argparse
import json
import os
import smtplib
import socket
import ssl
import sys
import threading
import time


def message(size, frm, to):
    head = ("From: <%s>\r\nTo: <%s>\r\nSubject: tls-source\r\n"
            "Message-Id: <tls-source@bench.example>\r\n\r\n" % (frm, to))
    body = []
    left = size - len(head)
    n = 0
    while left > 0:
        line = ("La de da de da %d. " % n) * 4
        line = line[:max(0, min(76, left - 2))] + "\r\n"
        body.append(line)
        left -= len(line)
        n += 1
    return (head + "".join(body)).encode("ascii")


def worker(args, nthreads, quota, out_fd):
    ctx = ssl.create_default_context(cafile=args.ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    host, port = args.target.rsplit(":", 1)
    port = int(port)
    msg = message(args.size, args.frm, args.to)
    lock = threading.Lock()
    st = {"left": quota, "ok": 0, "failed": 0, "tls": {}, "errors": {}}

    def one():
        s = smtplib.SMTP(host, port, local_hostname="tls-source.bench",
                         timeout=args.timeout)
        try:
            s.ehlo()
            code, text = s.starttls(context=ctx)
            if code != 220:
                raise smtplib.SMTPResponseException(code, text)
            s.ehlo()
            s.sendmail(args.frm, [args.to], msg)
            key = "%s %s" % (s.sock.version(), s.sock.cipher()[0])
            s.quit()
        finally:
            s.close()
        return key

    def loop():
        while True:
            with lock:
                if st["left"] <= 0:
                    return
                st["left"] -= 1
            try:
                key = one()
                with lock:
                    st["ok"] += 1
                    st["tls"][key] = st["tls"].get(key, 0) + 1
            except Exception as e:  # counted and reported, never fatal
                text = "%s: %s" % (type(e).__name__, e)
                with lock:
                    st["failed"] += 1
                    st["errors"][text] = st["errors"].get(text, 0) + 1

    threads = [threading.Thread(target=loop) for _ in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    del st["left"]
    os.write(out_fd, (json.dumps(st) + "\n").encode())


def main():
    p = argparse.ArgumentParser(prog="tls-source.py")
    p.add_argument("-s", dest="sessions", type=int, default=1)
    p.add_argument("-m", dest="messages", type=int, default=1)
    p.add_argument("-l", dest="size", type=int, default=1024)
    p.add_argument("-f", dest="frm", default="bench@example.net")
    p.add_argument("-t", dest="to", default="root@bench.example")
    p.add_argument("-P", dest="procs", type=int, default=0)
    p.add_argument("--ca", required=True)
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("target")
    args = p.parse_args()
    if args.sessions < 1 or args.messages < 1 or ":" not in args.target:
        p.error("bad -s, -m or HOST:PORT")
    procs = args.procs or min(os.cpu_count() or 1, args.sessions)
    procs = max(1, min(procs, args.sessions))
    # Threads and messages per process, as even as they go.
    nthr = [args.sessions // procs + (i < args.sessions % procs)
            for i in range(procs)]
    quota = [args.messages * n // args.sessions for n in nthr]
    quota[0] += args.messages - sum(quota)

    t0 = time.monotonic()
    rfd, wfd = os.pipe()
    pids = []
    for i in range(procs):
        pid = os.fork()
        if pid == 0:
            os.close(rfd)
            code = 0
            try:
                worker(args, nthr[i], quota[i], wfd)
            except BaseException as e:
                os.write(wfd, (json.dumps({"ok": 0, "failed": quota[i],
                    "tls": {}, "errors": {"worker: %r" % e: 1}}) + "\n").encode())
                code = 1
            os._exit(code)
        pids.append(pid)
    os.close(wfd)
    data = b""
    with os.fdopen(rfd, "rb") as r:
        data = r.read()
    for pid in pids:
        os.waitpid(pid, 0)
    elapsed = time.monotonic() - t0

    total = {"ok": 0, "failed": 0, "tls": {}, "errors": {}}
    for line in data.decode().splitlines():
        st = json.loads(line)
        total["ok"] += st["ok"]
        total["failed"] += st["failed"]
        for k in ("tls", "errors"):
            for key, n in st[k].items():
                total[k][key] = total[k].get(key, 0) + n
    missing = args.messages - total["ok"] - total["failed"]
    if missing > 0:
        total["failed"] += missing
        total["errors"]["a worker process did not report"] = missing
    print("sessions %d ok %d failed %d elapsed %.3f" %
          (args.messages, total["ok"], total["failed"], elapsed))
    for key, n in sorted(total["tls"].items()):
        print("negotiated %s: %d" % (key, n))
    for text, n in sorted(total["errors"].items(), key=lambda x: -x[1]):
        print("error %d: %s" % (n, text))
    sys.stdout.flush()
    return 0 if total["ok"] == args.messages else 1


if __name__ == "__main__":
    sys.exit(main())
