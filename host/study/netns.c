/* netns.c - a private network namespace for link studies: created, its loopback shaped
 * with tc tbf, commands run inside it with a time limit, removed (also on a signal). */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* What the signal handler needs: the namespace to remove, the command to stop. */
static sb_netns *live;
static volatile pid_t running;

/* Remove the namespace with fork + execv + waitpid only (async-signal-safe). */
static void remove_ns(const sb_netns *ns)
{
    pid_t p = fork();
    if (p == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0)
            dup2(fd, 2);
        char *const av[] = {"ip", "netns", "delete", (char *)ns->name, NULL};
        execv(ns->ip, av);
        _exit(127);
    }
    if (p > 0)
        waitpid(p, NULL, 0);
}

/* The handlers in place before the namespace's (sb_signals_install's, which remove the
 * FILE.tmp being written): run after the namespace is removed, restored with it. */
static const int handled[] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction before[3];

static void on_signal(int sig)
{
    if (running > 0)
        kill(-running, SIGKILL);
    if (live && live->up)
        remove_ns(live);
    for (int i = 0; i < 3; i++)
        if (handled[i] == sig && !(before[i].sa_flags & SA_SIGINFO) &&
            before[i].sa_handler != SIG_DFL && before[i].sa_handler != SIG_IGN) {
            before[i].sa_handler(sig); /* sb's handler: ends the process by sig */
            break;
        }
    signal(sig, SIG_DFL);
    raise(sig);
}

static int find_program(const char *name, char *out, size_t n)
{
    const char *dirs[] = {"/usr/sbin", "/sbin", "/usr/bin", "/bin"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(out, n, "%s/%s", dirs[i], name);
        if (access(out, X_OK) == 0)
            return 1;
    }
    return 0;
}

/* Run av (not in the namespace) quietly; SB_OK when it exits 0. */
static int run_plain(const char *path, char *const av[], sb_err *err)
{
    pid_t p = fork();
    if (p < 0)
        return sb_fail(err, SB_ERUNTIME, "fork: %s", strerror(errno));
    if (p == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0)
            dup2(fd, 1), dup2(fd, 2);
        execv(path, av);
        _exit(127);
    }
    int status = 0;
    if (waitpid(p, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
        return sb_fail(err, SB_ERUNTIME, "'%s %s %s %s' failed", av[0], av[1],
                       av[2] ? av[2] : "", av[2] && av[3] ? av[3] : "");
    return SB_OK;
}

int sb_netns_create(sb_netns *ns, sb_err *err)
{
    memset(ns, 0, sizeof *ns);
    if (geteuid() != 0)
        return sb_fail(err, SB_EUSAGE,
                       "needs root to create a network namespace and shape "
                       "its loopback (ip netns, tc): run it as root");
    if (!find_program("ip", ns->ip, sizeof ns->ip) ||
        !find_program("tc", ns->tc, sizeof ns->tc))
        return sb_fail(err, SB_EUSAGE, "needs the ip and tc programs (Debian: iproute2)");
    snprintf(ns->name, sizeof ns->name, "sbcomm-%ld", (long)getpid());
    char *const add[] = {"ip", "netns", "add", ns->name, NULL};
    int st = run_plain(ns->ip, add, err);
    if (st != SB_OK)
        return sb_wrap(err, "creating network namespace %s", ns->name);
    ns->up = 1;
    live = ns;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; i++)
        sigaddset(&sa.sa_mask, handled[i]);
    for (int i = 0; i < 3; i++)
        sigaction(handled[i], &sa, &before[i]);
    char *const mtu[] = {"ip", "-n",  ns->name, "link", "set",
                         "lo", "mtu", "9000",   "up",   NULL};
    st = run_plain(ns->ip, mtu, err);
    if (st != SB_OK) {
        sb_netns_destroy(ns);
        return sb_wrap(err, "bringing up the loopback of %s", ns->name);
    }
    return SB_OK;
}

int sb_netns_shape(sb_netns *ns, double rate, double *burst_bytes, sb_err *err)
{
    char *const del[] = {"tc", "-n", ns->name, "qdisc", "del", "dev", "lo", "root", NULL};
    sb_err ignore;
    run_plain(ns->tc, del, &ignore); /* none yet is fine */
    *burst_bytes = 0;
    if (rate <= 0)
        return SB_OK;
    double burst = rate / 8 * 0.004;
    if (burst < 256 * 1024)
        burst = 256 * 1024;
    char r[64], b[64];
    snprintf(r, sizeof r, "%.0fbit", rate);
    snprintf(b, sizeof b, "%.0fb", burst);
    char *const add[] = {"tc", "-n",      ns->name, "qdisc", "add", "dev",
                         "lo", "root",    "tbf",    "rate",  r,     "burst",
                         b,    "latency", "100ms",  NULL};
    int st = run_plain(ns->tc, add, err);
    if (st != SB_OK)
        return sb_wrap(err, "shaping the loopback of %s to %s", ns->name, r);
    *burst_bytes = burst;
    return SB_OK;
}

int sb_netns_run(sb_netns *ns, char *const argv[], const char *log, double limit_s,
                 int *status, sb_err *err)
{
    int n = 0;
    while (argv[n])
        n++;
    char **av = calloc((size_t)n + 5, sizeof *av);
    if (!av)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    av[0] = "ip", av[1] = "netns", av[2] = "exec", av[3] = ns->name;
    for (int i = 0; i < n; i++)
        av[4 + i] = argv[i];
    pid_t p = fork();
    if (p < 0) {
        free(av);
        return sb_fail(err, SB_ERUNTIME, "fork: %s", strerror(errno));
    }
    if (p == 0) {
        setpgid(0, 0); /* its own group: the limit stops mpirun and its ranks */
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0)
            dup2(fd, 1), dup2(fd, 2);
        execv(ns->ip, av);
        _exit(127);
    }
    free(av);
    setpgid(p, p);
    running = p;
    double t0 = sb_now();
    int ws = 0;
    for (;;) {
        pid_t w = waitpid(p, &ws, WNOHANG);
        if (w == p)
            break;
        if (w < 0 && errno != EINTR) {
            running = 0;
            return sb_fail(err, SB_ERUNTIME, "waitpid: %s", strerror(errno));
        }
        if (sb_now() - t0 > limit_s) {
            kill(-p, SIGKILL);
            waitpid(p, &ws, 0);
            running = 0;
            *status = 124;
            return SB_OK;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    running = 0;
    *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
    return SB_OK;
}

int sb_netns_retrans(sb_netns *ns, const char *scratch, double *out, sb_err *err)
{
    char *const av[] = {"cat", "/proc/net/snmp", NULL};
    int status = 0;
    int st = sb_netns_run(ns, av, scratch, 10, &status, err);
    if (st != SB_OK)
        return st;
    FILE *f = fopen(scratch, "r");
    char head[2048], vals[2048];
    *out = -1;
    /* two "Tcp:" lines: the names, then the values */
    while (f && fgets(head, sizeof head, f))
        if (!strncmp(head, "Tcp:", 4) && fgets(vals, sizeof vals, f))
            break;
    if (f) {
        char *sh = NULL, *sv = NULL;
        char *h = strtok_r(head, " \n", &sh), *v = strtok_r(vals, " \n", &sv);
        for (; h && v; h = strtok_r(NULL, " \n", &sh), v = strtok_r(NULL, " \n", &sv))
            if (!strcmp(h, "RetransSegs"))
                *out = strtod(v, NULL);
        fclose(f);
    }
    if (*out < 0)
        return sb_fail(err, SB_ERUNTIME,
                       "no RetransSegs in the namespace's /proc/net/snmp");
    return SB_OK;
}

void sb_netns_destroy(sb_netns *ns)
{
    if (!ns->up)
        return;
    remove_ns(ns);
    ns->up = 0;
    if (live == ns) {
        live = NULL;
        for (int i = 0; i < 3; i++)
            sigaction(handled[i], &before[i], NULL);
    }
}
