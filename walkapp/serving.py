"""The server `walkapp demo` runs: Werkzeug's threaded one, with a read timeout.

Without a timeout a phone that loses coverage in the middle of an upload holds its thread
(and its socket) forever. Production runs gunicorn behind nginx instead (deploy/, README).
"""

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _EndAfterTimeout:
    """The socket's file, except that once a read has timed out, later reads find the end
    of the stream: Werkzeug drains the socket after answering, and a timed-out socket file
    would raise there (a traceback in the log for every phone that lost coverage)."""

    def __init__(self, raw):
        self._raw, self._timed_out = raw, False

    def _read(self, name: str, *args, eof):
        if self._timed_out:
            return eof
        try:
            return getattr(self._raw, name)(*args)
        except TimeoutError:
            self._timed_out = True
            raise

    def read(self, *args):
        return self._read("read", *args, eof=b"")

    def readline(self, *args):
        return self._read("readline", *args, eof=b"")

    def readinto(self, buffer):
        return self._read("readinto", buffer, eof=0)

    def __getattr__(self, name):
        return getattr(self._raw, name)


class TimeoutRequestHandler(WSGIRequestHandler):
    """Gives up on a client after `timeout` seconds without a byte: a stalled body then ends
    in a 408 (walkapp/api/helpers.py), an idle keep-alive connection is closed."""

    timeout = 30.0

    def setup(self):
        super().setup()  # applies self.timeout to the socket
        self.rfile = _EndAfterTimeout(self.rfile)


def make(app, host: str, port: int) -> BaseWSGIServer:
    handler = type("Handler", (TimeoutRequestHandler,),
                   {"timeout": app.config["REQUEST_READ_TIMEOUT"]})
    return make_server(host, port, app, threaded=True, request_handler=handler)
