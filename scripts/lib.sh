# Shell helpers shared by the set-up scripts (sourced, not run).

# wait_for SECONDS CMD...: run CMD until it succeeds; fail after SECONDS.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.3
  done
}

# debian_mirror: the machine's own Debian mirror (the main archive, not -security), read from its
# apt sources (deb822 first, then one-line sources), so no mirror host is written into the repo.
debian_mirror() {
  local src=/etc/apt/sources.list.d/debian.sources
  if [ -f "$src" ]; then
    awk -v RS= '/Types:[^\n]*deb/ && !/security/ {print; exit}' "$src" | sed -n 's/^URIs: *//p' | awk '{print $1}'
  else
    grep -hE '^deb [^ ]+ [a-z]+ ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | grep -v security | head -n1 | awk '{print $2}'
  fi
}
