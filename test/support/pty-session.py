"""Run a command on a pseudo-terminal as a person would: wait for a prompt, type an answer, and
report everything the terminal showed.

usage: pty-session.py PROMPT_REGEX -- COMMAND [ARGS...]
The answer is read from the environment variable PTY_ANSWER (never argv) and typed followed by
Enter; PTY_ANSWER is removed from the command's own environment. Prints one JSON line:
{"code": exit status, "prompted": bool, "transcript": all terminal output}.
"""
import json
import os
import pty
import re
import select
import sys
import time

def main():
    sep = sys.argv.index('--')
    prompt = re.compile(sys.argv[1].encode())
    command = sys.argv[sep + 1:]
    answer = os.environ.pop('PTY_ANSWER', '').encode()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    transcript = b''
    prompted = False
    deadline = time.time() + 120
    # Read until the terminal closes (EIO once the command and its children have exited).
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        transcript += data
        if not prompted and prompt.search(transcript):
            prompted = True
            os.write(fd, answer + b'\r')
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps({'code': code, 'prompted': prompted, 'transcript': transcript.decode('utf-8', 'replace')}))

main()
