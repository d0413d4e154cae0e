#!/usr/bin/env bash
# Installs what building and testing ztagent needs from Debian's packages, and nothing by hand.
# Idempotent: packages already present are not reinstalled. Needs root (or sudo).
set -euo pipefail

packages=(
  bind9-dnsutils     # dig: an independent DNS/DoT client with client certificates
  knot-dnsutils      # kdig: a second independent DoT client
  dnsmasq-base       # an independent plain-DNS upstream for the forwarder tests (binary only, no service)
  dnsperf            # load generator for the benchmarks
  openssl            # s_client, verify, x509
  curl               # scrapes the metrics endpoints in tests
  dbus-daemon        # host integration tests: a private system bus for systemd-resolved
  systemd            # busctl and resolvectl (resolved itself is never installed on the host)
  util-linux         # unshare for namespace tests
  libsqlite3-dev     # the server registry (GRDB)
  libnl-3-dev        # netlink (host integration)
  libnl-route-3-dev
  iproute2
  procps
  python3
  postgresql         # router tests: a real PostgreSQL behind a route (psql through the tunnel)
  redis-server       # router tests: a real Redis behind a route
  redis-tools        # redis-cli
  iperf3             # router throughput (tests and bench)
  systemd-container  # systemd-nspawn: the installed unit under a booted Debian (HostIntegrationTests)
  debootstrap        # the Debian 12 root nspawn boots (cached in /var/cache/ztagent-nspawn)
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The packages may start their own services; the tests run private instances on other ports.
for service in postgresql redis-server; do
  ($SUDO service "$service" stop || $SUDO systemctl stop "$service") >/dev/null 2>&1 || true
done
