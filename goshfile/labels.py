"""The image labels goshfile writes and reads: one place for their names.

The frontend puts the ``goshfile.*`` labels on every image; ``goshfile build``
from a GOSH repository adds the GOSH ones (both generations of GOSH's names);
``WALLET_PUBLIC`` names the key that vouches for the image (sign-cli's name).
"""

from __future__ import annotations

from typing import Final

WALLET_PUBLIC: Final = "WALLET_PUBLIC"  # hex public key of the wallet that signs the image

HERMETIC: Final = "goshfile.hermetic"  # "false" when any step had network
DIGEST: Final = "goshfile.digest"  # sha256 of the goshfile's bytes
BASE: Final = "goshfile.base"  # the base image, pinned by manifest digest when the engine gave one
BASE_CONFIG: Final = "goshfile.base.config"  # sha256 of the base image's config (its image ID)
BASE_LAYERS: Final = "goshfile.base.layers"  # how many of the image's layers are the base image's
SOURCES: Final = "goshfile.sources"  # JSON list of the gosh sources used: url, commit (ref, subdir)

GOSH_ADDRESS: Final = "GOSH_ADDRESS"  # the gosh:// repository an image was built from
GOSH_COMMIT_HASH: Final = "GOSH_COMMIT_HASH"  # the commit it was built at
GOSH_ADDRESS_DOTTED: Final = "gosh.address"  # the same, under GOSH's newer names
GOSH_COMMIT_DOTTED: Final = "gosh.commit"
GOSH_GOSHFILE: Final = "gosh.image.dockerfile"  # the goshfile's path in the repository
