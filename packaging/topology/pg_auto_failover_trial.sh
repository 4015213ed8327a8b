#!/bin/bash
# The pg_auto_failover side of the HA stack comparison in docs/deploy.md §5 (kept to
# repeat the measurement, not used by the topology): a monitor and two nodes on
# 127.0.0.1:17600-17602 under $PAF_DIR, the primary's postmaster killed with -9, the
# time until a node takes writes. Run as postgres (`runuser -u postgres -- …`) after
# `apt-get install postgresql-15-auto-failover pg-auto-failover-cli`; stop with
# `pg_autoctl stop --pgdata $PAF_DIR/{n1,n2,mon}`.
set -u
D=${PAF_DIR:-/var/tmp/paf-trial}
mkdir -p "$D"
export PATH=/usr/lib/postgresql/15/bin:$PATH
export XDG_CONFIG_HOME=$D/config XDG_DATA_HOME=$D/data
t0=$(date +%s.%N)
pg_autoctl create monitor --pgdata $D/mon --pgport 17600 --auth trust --no-ssl --hostname 127.0.0.1 --run > $D/mon.log 2>&1 &
sleep 1
for i in $(seq 60); do pg_isready -h 127.0.0.1 -p 17600 -q && break; sleep 1; done
MON=postgres://autoctl_node@127.0.0.1:17600/pg_auto_failover
pg_autoctl create postgres --pgdata $D/n1 --pgport 17601 --monitor $MON --auth trust --no-ssl --hostname 127.0.0.1 --name n1 --run > $D/n1.log 2>&1 &
for i in $(seq 90); do pg_autoctl show state --pgdata $D/mon 2>/dev/null | grep -q "single" && break; sleep 1; done
pg_autoctl create postgres --pgdata $D/n2 --pgport 17602 --monitor $MON --auth trust --no-ssl --hostname 127.0.0.1 --name n2 --run > $D/n2.log 2>&1 &
for i in $(seq 120); do pg_autoctl show state --pgdata $D/mon 2>/dev/null | grep -q "secondary |  *secondary" && break; sleep 1; done
t1=$(date +%s.%N)
pg_autoctl show state --pgdata $D/mon
echo "UP seconds: $(echo "$t1 - $t0" | bc)"
psql -h 127.0.0.1 -p 17601 -U postgres -Atc "show synchronous_standby_names; show synchronous_commit"
# kill -9 the postmaster only
pm=$(head -1 $D/n1/postmaster.pid)
k0=$(date +%s.%N); kill -9 $pm
for i in $(seq 120); do
  r=$(psql -h 127.0.0.1 -p 17602 -U postgres -Atc "select pg_is_in_recovery()" 2>/dev/null)
  r1=$(psql -h 127.0.0.1 -p 17601 -U postgres -Atc "select pg_is_in_recovery()" 2>/dev/null)
  if [ "$r" = f ] || [ "$r1" = f ]; then echo "writable after postmaster kill: n1=$r1 n2=$r in $(echo "$(date +%s.%N) - $k0" | bc)"; break; fi
  sleep 0.2
done
pg_autoctl show state --pgdata $D/mon
