"""The SMTP client the package tests run inside their container, as `python3 -c SCRIPT ARGS`:
SMTP_CLIENT is Python source for the front of such a script, so nothing needs copying in.

It defines deliver(i, recipients, msg): message i in one SMTP session to 127.0.0.1:25 as an
application sends it, retried after a temporary refusal as a client does (at most 20 attempts,
0.5 s apart); it prints each refusal on stderr ("answer I ATTEMPT ERROR") and returns (accepted,
temporary answers seen). A test's script adds its own loop over the messages.
"""

from __future__ import annotations

import textwrap

SMTP_CLIENT = textwrap.dedent("""\
    import os, smtplib, sys, time

    def deliver(i, recipients, msg):
        temporary = 0
        for attempt in range(20):
            try:
                with smtplib.SMTP("127.0.0.1", 25, timeout=60) as smtp:
                    smtp.sendmail("app@sender.example", recipients, msg)
                return True, temporary
            except (smtplib.SMTPException, OSError) as error:
                code = getattr(error, "smtp_code", 0) or min((c for c, _ in getattr(error, "recipients", {}).values()), default=0)
                print("answer", i, attempt, error, file=sys.stderr)
                if not 400 <= code < 500 and not isinstance(error, (OSError, smtplib.SMTPServerDisconnected)):
                    return False, temporary
                temporary += 1
                time.sleep(0.5)
        return False, temporary

    """)
