# The goshfile frontend image. Built by scripts/build-frontend-image.sh with
# BuildKit's builtin Dockerfile frontend (no syntax line: nothing is pulled).
# BASE is a local Debian rootfs with python3 (offline) or python:3.11-slim (online).
ARG BASE=goshfile/python-base:bookworm
FROM ${BASE}
COPY site/ /opt/goshfile/lib/
# One interpreter path whatever the base, the library on its sys.path through a
# .pth file, and bytecode compiled now: every build starts a fresh container.
RUN set -eu; \
    py="$(command -v python3)"; \
    ln -sf "$py" /usr/local/bin/goshfile-python; \
    sp="$("$py" -c 'import site; print(site.getsitepackages()[0])')"; \
    mkdir -p "$sp"; echo /opt/goshfile/lib > "$sp/goshfile.pth"; \
    "$py" -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/goshfile/lib; \
    "$py" -c 'import goshfile.frontend.main, goshfile.frontend.build'
LABEL moby.buildkit.frontend.network.none="true" \
      moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts" \
      org.opencontainers.image.title="goshfile BuildKit frontend"
ENTRYPOINT ["/usr/local/bin/goshfile-python", "-m", "goshfile.frontend"]
