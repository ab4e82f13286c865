"""Which node serves a gosh:// URL.

The same configuration as GOSH's own ``git-remote-gosh``:

1. ``GOSH_NETWORK``: a comma-separated endpoint list (the ``-n`` forms); the first one is used.
2. GOSH's config file, ``$GOSH_CONFIG_PATH`` or ``~/.gosh/config.json``: the URL's ``::<network>``
   (or else ``primary-network``) names an entry of ``networks``, whose first ``endpoints`` item is used.
3. Otherwise the default local node, :func:`goshfile.paths.node_home`.

Endpoints are parsed by :mod:`goshfile.endpoints`, the config file read by :mod:`goshfile.config`.
"""

from __future__ import annotations

import os

from goshfile.config import config_path, load_config
from goshfile.endpoints import ENV_NETWORK, Node, default_node, parse_endpoint, parse_endpoints
from goshfile.errors import InputError
from goshfile.gosh.url import GoshUrl


def resolve_node(url: GoshUrl | None = None) -> Node:
    """The node that serves ``url`` (see the module docstring for the order)."""
    from_env = os.environ.get(ENV_NETWORK, "")
    if from_env.strip():
        return parse_endpoints(from_env, origin=ENV_NETWORK)[0]
    network = url.network if url is not None else None
    config = load_config()
    if config is None:
        if network:
            raise InputError(
                f"{url} names the network {network!r}, but there is no GOSH config at {config_path()}: "
                f"set {ENV_NETWORK} or add networks.{network}.endpoints there"
            )
        return default_node()
    name = network or config.primary_network
    if name:
        items = config.endpoints.get(name, [])
        if items:
            return parse_endpoint(items[0], origin=f"network {name!r} in {config.path}")
        if network:
            raise InputError(
                f"{url} names the network {network!r}, which has no endpoints in {config.path}: "
                f"add networks.{network}.endpoints there or set {ENV_NETWORK}"
            )
    return default_node()
