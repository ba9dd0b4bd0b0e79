/* netns.h - a private network namespace for link studies: created, its loopback shaped
 * with tc tbf, commands run inside it with a time limit, removed (also on a signal). */
#ifndef SB_NETNS_H
#define SB_NETNS_H

#include "sb.h"

typedef struct sb_netns {
    char name[64];
    char ip[512], tc[512]; /* absolute paths of the ip and tc programs */
    int up;
} sb_netns;

/* Create namespace "sbcomm-<pid>" with its loopback up at MTU 9000 (tbf drops the 64 KiB
 * loopback packets at MTU 65536). SIGINT, SIGTERM and SIGHUP remove it (and stop a
 * command running in it) before the process dies. Needs root: SB_EUSAGE otherwise. */
int sb_netns_create(sb_netns *ns, sb_err *err);
/* Shape the loopback to rate bits/s with tbf (burst max(256 KiB, 4 ms at the rate),
 * latency 100 ms); rate 0 removes the shaping. *burst_bytes gets the bucket used. */
int sb_netns_shape(sb_netns *ns, double rate, double *burst_bytes, sb_err *err);
/* Run argv inside the namespace (ip netns exec) with stdout and stderr to log, killed
 * after limit_s seconds. *status: the exit status (124 when killed for the limit). */
int sb_netns_run(sb_netns *ns, char *const argv[], const char *log, double limit_s,
                 int *status, sb_err *err);
/* TCP segments retransmitted in the namespace so far (/proc/net/snmp RetransSegs). */
int sb_netns_retrans(sb_netns *ns, const char *scratch, double *out, sb_err *err);
/* Remove the namespace (idempotent). */
void sb_netns_destroy(sb_netns *ns);

#endif
