"""A process that reads its input and never answers: a server that hangs at the handshake."""

import sys

for _line in sys.stdin:
    pass
