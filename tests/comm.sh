#!/usr/bin/env bash
# comm.sh - bytes on the wire and `signbench comm`: the counted bytes against the
# loopback counters of a network namespace, a small link study, refusals, clean-up.
. "$(dirname "$0")/lib.sh"

check help 0 "$bin" comm --help
check bad-bandwidth 2 "$bin" comm --bandwidths 5Q
check bad-ranks 2 "$bin" comm --ranks 1
check bad-aggregate 2 "$bin" comm --aggregates gossip
# not root: one line, exit 2 (as root: run it as nobody)
if [ "$(id -u)" = 0 ]; then
    if command -v setpriv >/dev/null 2>&1; then
        check not-root 2 setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" comm --quick
        error_line not-root-line setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" comm --quick
    fi
else
    check not-root 2 "$bin" comm --quick
    error_line not-root-line "$bin" comm --quick
    skip "not root: no network namespaces"
fi

"$bin" train --help | grep -q -- '--mpi' || skip "built without MPI"
command -v mpirun >/dev/null 2>&1 || skip "no mpirun"
require_device
ns=sbtest-$$
ip netns add "$ns" 2>/dev/null || skip "cannot create a network namespace"
trap 'ip netns delete "$ns" 2>/dev/null; rm -rf "$tmp"' EXIT
ip -n "$ns" link set lo mtu 9000 up
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mca=(--mca btl tcp,self --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo)

# The bytes counted from what is handed to MPI against the namespace's loopback counter:
# two ranks, all traffic on lo, over the steps only (TCP/IP and MPI headers on top: about
# 0.4% on a quiet machine, more when a busy one makes TCP send smaller segments; 5% here,
# while a lost or doubled message would be 50% or 100%).
check wire 0 timeout 120 ip netns exec "$ns" mpirun -np 2 "${mca[@]}" "$bin" train --problem quad --d 1000000 --optimizer signsgd --steps 4 --compress pack --mpi --aggregate scatter-vote --wire-counter lo --out "$tmp/w"
holds wire-matches-counted python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))["comm"]
counted = c["bytes_total"]["sent"] * c["ranks"]
wire = c["wire"]["tx_bytes"]
print("wire %d counted %d ratio %.4f" % (wire, counted, wire / counted))
sys.exit(0 if counted <= wire <= 1.05 * counted and c["bytes_total"]["sent"] <= 1.0001 * c["bytes_total"]["theory"] else 1)' "$tmp/w/train-signsgd.json"
ip netns delete "$ns"

# Across hosts: two namespaces joined by a veth pair, each one "host"; mpirun's launcher
# reaches the other through an rsh agent that enters its namespace (in place of ssh).
ip netns add "$ns-a" && ip netns add "$ns-b" || skip "cannot create two namespaces"
trap 'ip netns delete "$ns" 2>/dev/null; ip netns delete "$ns-a" 2>/dev/null; ip netns delete "$ns-b" 2>/dev/null; rm -rf "$tmp"' EXIT
ip link add "sb$$a" type veth peer name "sb$$b"
ip link set "sb$$a" netns "$ns-a"
ip link set "sb$$b" netns "$ns-b"
ip -n "$ns-a" addr add 10.213.0.1/24 dev "sb$$a"
ip -n "$ns-b" addr add 10.213.0.2/24 dev "sb$$b"
for n in a b; do ip -n "$ns-$n" link set "sb$$$n" up; ip -n "$ns-$n" link set lo up; done
cat > "$tmp/agent" <<AGENT
#!/bin/sh
host=\$1; shift
case \$host in 10.213.0.1) n=$ns-a;; 10.213.0.2) n=$ns-b;; *) exit 255;; esac
exec ip netns exec \$n /bin/sh -c "\$*"
AGENT
chmod +x "$tmp/agent"
printf '10.213.0.1 slots=1\n10.213.0.2 slots=1\n' > "$tmp/hosts"
q=(--problem quad --d 10000 --optimizer signsgd --sigma 1 --steps 10 --compress pack)
check hosts 0 timeout 120 ip netns exec "$ns-a" mpirun --hostfile "$tmp/hosts" -np 2 --mca plm_rsh_agent "$tmp/agent" --mca btl tcp,self --mca btl_tcp_if_include 10.213.0.0/24 --mca oob_tcp_if_include 10.213.0.0/24 "$bin" train "${q[@]}" --mpi --aggregate scatter-vote --wire-counter "sb$$a" --out "$tmp/h"
"$bin" train "${q[@]}" --workers 2 --out "$tmp/h1" >/dev/null 2>&1
holds hosts-equal-workers test "$(cut -d, -f1-6 "$tmp/h/train-signsgd.csv")" = "$(cut -d, -f1-6 "$tmp/h1/train-signsgd.csv")"
holds hosts-veth-bytes json "$tmp/h/train-signsgd.json" 'j["comm"]["wire"]["tx_bytes"] >= j["comm"]["bytes_total"]["sent"] > 0'
ip netns delete "$ns-a"; ip netns delete "$ns-b"

# A small link study: it runs, writes comm.json with every point, removes its namespace.
check comm-small 0 timeout 300 "$bin" comm --ranks 2 --bandwidths 1G,unshaped --d 100000 --steps 3 --aggregates allreduce,scatter-vote --target-d 1000 --target-steps 100 --out "$tmp/c"
holds comm-json json "$tmp/c/comm.json" 'len(j["points"]) == 4 and all(p["ok"] and p["step_s"] > 0 and 1 <= p["wire_over_theory"] < 1.1 for p in j["points"]) and j["ranks"][0]["steps_to_target"]["scatter-vote"] > 0'
holds comm-ns-removed bash -c "! ip netns list | grep -q sbcomm-"
# A signal mid-run removes the namespace too. The run is long (5000 steps, minutes) so
# that the signal always lands in it, however fast the machine.
"$bin" comm --ranks 2 --bandwidths unshaped --d 100000 --steps 5000 --aggregates allreduce --out "$tmp/s" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do ip netns list | grep -q "sbcomm-$pid" && break; sleep 0.1; done
sleep 1
kill -TERM $pid
wait $pid
holds signal-exit test $? -ne 0
holds signal-ns-removed bash -c "! ip netns list | grep -q sbcomm-$pid"
finish
