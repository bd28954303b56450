"""A local stand-in for a mail server: just enough SMTP (RFC 5321) for Django's SMTP backend.

Run it as its own process::

    python tests/support/smtp_server.py --port 0 --outbox /tmp/mail.jsonl --fail-first 1 --refuse nobody@example.vn

It prints ``READY <port>`` once it listens on 127.0.0.1, then speaks EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP
and QUIT. Each accepted message is appended to the outbox file as one JSON line (sender, recipients, the raw
message). The first ``--fail-first`` messages are answered ``451`` after their data (a temporary failure: a
client must try again later); recipients named by ``--refuse`` are answered ``550`` (a permanent refusal).
"""

from __future__ import annotations

import argparse
import json
import socketserver
import sys
import threading
from pathlib import Path

LOCK = threading.Lock()
OPTIONS: dict[str, object] = {}


class Session(socketserver.StreamRequestHandler):
    def _reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        self._reply("220 motcua-test-smtp ESMTP ready")
        sender, recipients = "", []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            command = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self._reply("250-motcua-test-smtp")
                self._reply("250 8BITMIME")
            elif verb == "HELO":
                self._reply("250 motcua-test-smtp")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip().strip("<>").split(">")[0], []
                self._reply("250 OK")
            elif verb == "RCPT":
                address = command.split(":", 1)[1].strip().strip("<>").split(">")[0]
                if address in OPTIONS["refuse"]:  # type: ignore[operator]
                    self._reply("550 5.1.1 mailbox unavailable")
                else:
                    recipients.append(address)
                    self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 end data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    line = self.rfile.readline()
                    if not line or line in (b".\r\n", b".\n"):
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                with LOCK:
                    if int(OPTIONS["fail_first"]) > 0:  # type: ignore[call-overload]
                        OPTIONS["fail_first"] = int(OPTIONS["fail_first"]) - 1  # type: ignore[call-overload]
                        self._reply("451 4.3.0 temporary failure, try again later")
                        continue
                    record = {"from": sender, "to": recipients, "data": b"".join(lines).decode("utf-8", "replace")}
                    with Path(str(OPTIONS["outbox"])).open("a", encoding="utf-8") as outbox:
                        outbox.write(json.dumps(record, ensure_ascii=False) + "\n")
                self._reply("250 OK queued")
                sender, recipients = "", []
            elif verb == "RSET":
                sender, recipients = "", []
                self._reply("250 OK")
            elif verb == "NOOP":
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 command not implemented")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--outbox", required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--refuse", action="append", default=[])
    arguments = parser.parse_args(argv)
    OPTIONS.update({"outbox": arguments.outbox, "fail_first": arguments.fail_first, "refuse": set(arguments.refuse)})
    server = Server(("127.0.0.1", arguments.port), Session)
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
