"""GOSH repositories: gosh:// URLs, the local node's repository store, the
``git-remote-gosh`` remote helper, git smart HTTP for the node, and the
hermetic fetch of a repository at a pinned commit."""
