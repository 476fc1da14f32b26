#!/bin/sh
# Debian's Virtuoso for the publish tests (`make test`), without the package's own service.
#
# The tests start virtuoso-t themselves, with their own ini, database and ports
# (tests/stores.py). The package's postinst would start the system instance (ports 8890 and
# 1111, user dba with password dba) and enable it at boot; a policy-rc.d that says no keeps
# it from starting (containers usually have one already), and it is disabled at boot.
set -eu
policy=/usr/sbin/policy-rc.d
ours=
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    ours=1
fi
trap '[ -z "$ours" ] || rm -f "$policy"' EXIT
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q virtuoso-opensource
update-rc.d virtuoso-opensource-7 disable > /dev/null 2>&1 || true
