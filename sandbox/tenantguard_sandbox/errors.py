"""The one exception type every part of the sandbox raises to answer a request with an error."""


class GraphHTTPError(Exception):
    """An error response in Microsoft Graph's shape.

    The server turns it into ``{"error": {"code", "message", "innerError": {...}}}`` with the
    given status and headers. ``body`` overrides the whole JSON body where a service answers in
    another shape (the login authority, Intune's wrapped messages, the Exchange admin API).
    """

    def __init__(self, status, code, message, headers=None, body=None):
        super().__init__("%s %s: %s" % (status, code, message))
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.body = body
