# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: TenantGuardModule, the AnsibleModule wrapper every module of the collection uses.

Not a public API.

* merges the connection options (``_transport.connection_options``) into the module's argument spec;
* checks them before anything else, so that bad input fails before any network call;
* builds the session, the token provider and the Graph / Exchange clients on first use
  (``module.graph``, ``module.exchange``); MSAL is imported only when a token must be requested
  (see ``_transport.auth``), so a task served by a cached token does not pay for it, and a missing MSAL
  fails that step with Ansible's missing-library message;
* ``run(main)`` turns an expected failure (ConfigError, AuthError, GraphError) into ONE
  ``fail_json``: what was asked, what the service answered (status, code, message,
  request-id, date) and what to do, with no traceback. Anything else still fails loudly.
"""

import re

from importlib.util import find_spec

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.tenantguard.m365.plugins.module_utils._transport.connection_options import (
    OPTION_NAMES, connection_argument_spec, resolve_connection)
from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import TenantGuardError

# requests is imported only by the requests that need it (see _transport.http); whether it is installed is
# checked here, without importing it, so that a missing requests still fails every task the same way.
try:
    HAS_REQUESTS = find_spec("requests") is not None
except (ImportError, ValueError):
    HAS_REQUESTS = False
REQUESTS_IMPORT_ERROR = None if HAS_REQUESTS else "ModuleNotFoundError: No module named 'requests'"


TYPE_PROBLEM = re.compile(r"argument '([^']+)' is of type")


def validation_message(messages, params):
    """Every argument problem in one message, each once, with the value of an option that has the wrong type.

    ansible-core puts the bare conversion error first for a dict option with suboptions ("dictionary requested,
    could not parse JSON or key=value"), which names neither the option nor the value."""
    seen = []
    for message in messages:
        text = str(message).strip().rstrip(".")
        match = TYPE_PROBLEM.search(text)
        if match and match.group(1) in params and isinstance(params[match.group(1)], (str, int, float, bool)):
            text += " (got %r)" % (params[match.group(1)],)
        if text not in seen and not any(text in other for other in seen):
            seen = [other for other in seen if other not in text] + [text]
    return "; ".join(seen) + "."


class _ArgumentCheckingModule(AnsibleModule):
    """AnsibleModule whose failed argument validation reports every problem (see validation_message)."""

    def fail_json(self, msg, **kwargs):  # pylint: disable=arguments-differ
        validation = getattr(self, "validation_result", None)
        messages = validation.error_messages if validation is not None else None
        if messages and msg == validation.errors.msg and len(messages) > 1:
            msg = validation_message(messages, self.params)
        super().fail_json(msg=msg, **kwargs)


class TenantGuardModule:
    """Composes an AnsibleModule; see the module docstring."""

    def __init__(self, argument_spec=None, **kwargs):
        spec = connection_argument_spec()
        for name, option in (argument_spec or {}).items():
            if name in spec:
                raise ValueError("option %s is a connection option and cannot be redefined" % name)
            spec[name] = option
        self.module = _ArgumentCheckingModule(argument_spec=spec, **kwargs)
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        self._session = None
        self._tokens = None
        self._graph = None
        self._exchange = None
        self.settings = None
        try:
            self.settings = resolve_connection(self.module.params)
        except TenantGuardError as exc:
            self.fail_from(exc)

    # -- AnsibleModule passthrough ----------------------------------------------------------
    @property
    def params(self):
        return self.module.params

    @property
    def check_mode(self):
        return self.module.check_mode

    @property
    def diff_mode(self):
        return self.module._diff  # pylint: disable=protected-access

    def module_params(self):
        """The module's own parameters, without the connection options."""
        return dict((k, v) for k, v in self.module.params.items() if k not in OPTION_NAMES)

    def warn(self, message):
        self.module.warn(message)

    def exit_json(self, **result):
        self._add_warnings()
        self.module.exit_json(**result)

    def fail_json(self, msg, **result):
        self._add_warnings()
        self.module.fail_json(msg=msg, **result)

    def _add_warnings(self):
        if self._tokens is not None:
            for warning in self._tokens.warnings:
                self.module.warn(warning)
            self._tokens.warnings = []
        if self._exchange is not None:
            for warning in self._exchange.warnings:
                self.module.warn("Exchange: %s" % (warning,))
            self._exchange.warnings = []

    # -- clients ----------------------------------------------------------------------------
    @property
    def session(self):
        if self._session is None:
            from ansible_collections.tenantguard.m365.plugins.module_utils._transport.http import build_session_for
            self._session = build_session_for(self.settings)
        return self._session

    @property
    def tokens(self):
        if self._tokens is None:
            from ansible_collections.tenantguard.m365.plugins.module_utils._transport.auth import TokenProvider
            self._tokens = TokenProvider(self.settings, self.session)
        return self._tokens

    @property
    def graph(self):
        """The GraphClient of this task's tenant, built on first use."""
        if self._graph is None:
            from ansible_collections.tenantguard.m365.plugins.module_utils._transport.graph_client import GraphClient
            self._graph = GraphClient.from_settings(self.settings, self.session, self.tokens)
        return self._graph

    @property
    def exchange(self):
        """The ExchangeClient of this task's tenant, built on first use."""
        if self._exchange is None:
            from ansible_collections.tenantguard.m365.plugins.module_utils._transport.exchange_client import ExchangeClient
            self._exchange = ExchangeClient.from_settings(self.settings, self.session, self.tokens)
        return self._exchange

    # -- failures ---------------------------------------------------------------------------
    def fail_from(self, error, **result):
        """Fail the task with the error's description and its secret-free details."""
        details = error.details()
        if details:
            result.setdefault("error", details)
        if getattr(error, "import_error", None):  # a library needed for this step is missing (MissingLibraryError)
            result.setdefault("exception", error.import_error)
        self.fail_json(msg=error.describe(), **result)

    def run(self, main):
        """Call ``main(self)``; exit with the dict it returns, or fail once with a clear message."""
        try:
            result = main(self)
        except TenantGuardError as exc:
            self.fail_from(exc)
        else:
            self.exit_json(**(result or {}))
