/* split.c - one kernel split between devices: an update, pack or vote of one vector
 * shared out statically (by each device's measured rate) or in dynamic chunks that
 * whichever device is free takes; each part runs on its device's own queue and thread. */
#define _POSIX_C_SOURCE 200809L
#include "split.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "stats.h"

const char *const sb_split_ops[] = {"update", "pack", "vote", NULL};

enum { OP_UPDATE, OP_PACK, OP_VOTE };
#define MAX_PARTS 256

typedef struct part {
    size_t a, b;    /* elements [a, b) */
    cl_mem in, out; /* sub-buffers (or whole buffers) of this part */
    int owned_in, owned_out;
} part;

typedef struct sdev {
    sb_devref ref;
    sb_ctx ctx;
    sb_ops ops;
    int has_ops;
    cl_mem in, out;   /* the whole vector: g (update, pack) or voter-major bits (vote);
                          x (update, in place) or bits (pack, vote) */
    cl_mem in_layout; /* vote: this device's input laid out for the schedule */
    part parts[MAX_PARTS];
    int nparts;
    double busy;
    size_t elems;
    int st;
    sb_err err;
} sdev;

typedef struct splitrun {
    int op, m, ndev, dynamic, cpd;
    size_t n, words, chunk;
    sdev *dev;
    const sb_update_info *upd;
    float *g, *x;   /* host inputs */
    uint32_t *bits; /* vote input, voter-major */
    int next;       /* dynamic: the next chunk to take */
    pthread_mutex_t lock;
    pthread_cond_t gate; /* the common start: go (or stop) */
    int go, stop;
    part chunks[MAX_PARTS]; /* dynamic: the chunk bounds */
    int nchunks;
} splitrun;

static size_t wordsof(size_t n)
{
    return (n + 31) / 32;
}

/* Bytes of element range [a, b) in the output (floats, or packed bits from a / 32). */
static size_t out_off(const splitrun *s, size_t a)
{
    return s->op == OP_UPDATE ? a * 4 : a / 32 * 4;
}

static size_t out_len(const splitrun *s, size_t a, size_t b)
{
    return s->op == OP_UPDATE ? (b - a) * 4 : wordsof(b - a) * 4;
}

static int subbuf(cl_mem parent, size_t off, size_t len, cl_mem *out, sb_err *err)
{
    cl_buffer_region r = {off, len ? len : 4};
    cl_int rc;
    *out =
        clCreateSubBuffer(parent, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION, &r, &rc);
    return SB_CLFAIL(rc, err, "clCreateSubBuffer") ? err->code : SB_OK;
}

static void parts_free(sdev *d)
{
    for (int i = 0; i < d->nparts; i++) {
        if (d->parts[i].owned_in && d->parts[i].in)
            clReleaseMemObject(d->parts[i].in);
        if (d->parts[i].owned_out && d->parts[i].out)
            clReleaseMemObject(d->parts[i].out);
    }
    d->nparts = 0;
    if (d->in_layout)
        clReleaseMemObject(d->in_layout);
    d->in_layout = NULL;
}

/* Run one part on its device (enqueue; the caller finishes the queue). */
static int run_part(const splitrun *s, sdev *d, const part *p, sb_err *err)
{
    size_t cnt = p->b - p->a;
    if (!cnt)
        return SB_OK;
    if (s->op == OP_UPDATE) {
        sb_hyper h = {.lr = 0.01f};
        return sb_op_update(&d->ops, s->upd, p->out, p->in, NULL, NULL, cnt, h, NULL, err);
    }
    if (s->op == OP_PACK)
        return sb_op_pack(&d->ops, p->in, p->out, cnt, NULL, NULL, err);
    return sb_op_vote(&d->ops, p->in, s->m, cnt, p->out, NULL, err);
}

/* ---- inputs and parts ---------------------------------------------------------------- */

static int upload(const splitrun *s, sdev *d, sb_err *err)
{
    cl_command_queue q = d->ctx.queue;
    cl_int rc = CL_SUCCESS;
    if (s->op == OP_VOTE)
        rc = clEnqueueWriteBuffer(q, d->in, CL_TRUE, 0, (size_t)s->m * s->words * 4,
                                  s->bits, 0, NULL, NULL);
    else
        rc = clEnqueueWriteBuffer(q, d->in, CL_TRUE, 0, s->n * 4, s->g, 0, NULL, NULL);
    if (rc == CL_SUCCESS && s->op == OP_UPDATE)
        rc = clEnqueueWriteBuffer(q, d->out, CL_TRUE, 0, s->n * 4, s->x, 0, NULL, NULL);
    return SB_CLFAIL(rc, err, "writing the split's input") ? err->code : SB_OK;
}

/* Vote input of one device, laid out for its parts: voter-major for its one static range,
 * chunk-major (each chunk's m vectors together) for dynamic chunks. */
static int vote_layout(const splitrun *s, sdev *d, size_t a, size_t b, sb_err *err)
{
    size_t m = (size_t)s->m, total = s->dynamic ? m * s->words : m * wordsof(b - a);
    uint32_t *h = malloc(total * 4 + 4);
    if (!h)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    if (!s->dynamic) {
        size_t rw = wordsof(b - a);
        for (size_t v = 0; v < m; v++)
            memcpy(h + v * rw, s->bits + v * s->words + a / 32, rw * 4);
    } else {
        for (int c = 0; c < s->nchunks; c++) {
            size_t ca = s->chunks[c].a, cw = wordsof(s->chunks[c].b - ca);
            for (size_t v = 0; v < m; v++)
                memcpy(h + m * (ca / 32) + v * cw, s->bits + v * s->words + ca / 32,
                       cw * 4);
        }
    }
    int st = sb_buffer(&d->ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, total * 4, h,
                       &d->in_layout, err);
    free(h);
    return st;
}

static int add_part(const splitrun *s, sdev *d, size_t a, size_t b, sb_err *err)
{
    if (d->nparts == MAX_PARTS)
        return sb_fail(err, SB_EUSAGE, "split: too many parts");
    part *p = &d->parts[d->nparts++];
    memset(p, 0, sizeof *p);
    p->a = a;
    p->b = b;
    if (b == a)
        return SB_OK;
    int st;
    if (s->op == OP_VOTE) {
        if (!s->dynamic)
            p->in = d->in_layout;
        else if ((st = subbuf(d->in_layout, (size_t)s->m * (a / 32) * 4,
                              (size_t)s->m * wordsof(b - a) * 4, &p->in, err)) == SB_OK)
            p->owned_in = 1;
        else
            return st;
    } else {
        if ((st = subbuf(d->in, a * 4, (b - a) * 4, &p->in, err)) != SB_OK)
            return st;
        p->owned_in = 1;
    }
    if ((st = subbuf(d->out, out_off(s, a), out_len(s, a, b), &p->out, err)) != SB_OK)
        return st;
    p->owned_out = 1;
    return SB_OK;
}

/* Static: one contiguous range per device, in proportion to its rate alone. Dynamic:
 * every device can take any chunk. */
static int build_parts(splitrun *s, sb_err *err)
{
    double sum = 0;
    for (int i = 0; i < s->ndev; i++)
        sum += 1.0 / s->dev[i].busy; /* busy holds the alone time here */
    size_t lo = 0;
    double cum = 0;
    int st = SB_OK;
    for (int i = 0; i < s->ndev && st == SB_OK; i++) {
        sdev *d = &s->dev[i];
        parts_free(d);
        if (s->dynamic) {
            if (s->op == OP_VOTE)
                st = vote_layout(s, d, 0, s->n, err);
            for (int c = 0; c < s->nchunks && st == SB_OK; c++)
                st = add_part(s, d, s->chunks[c].a, s->chunks[c].b, err);
            continue;
        }
        cum += 1.0 / d->busy / sum;
        size_t hi = i == s->ndev - 1
                        ? s->n
                        : (size_t)llround(cum * (double)s->n / (double)s->chunk) * s->chunk;
        if (hi > s->n)
            hi = s->n;
        if (hi < lo)
            hi = lo;
        if (s->op == OP_VOTE && hi > lo)
            st = vote_layout(s, d, lo, hi, err);
        if (st == SB_OK)
            st = add_part(s, d, lo, hi, err);
        lo = hi;
    }
    return st;
}

/* ---- running ---------------------------------------------------------------------------- */

typedef struct job {
    splitrun *s;
    sdev *d;
    int *owner; /* dynamic: which device computed chunk c */
    int who;
} job;

static void *split_thread(void *arg)
{
    job *j = arg;
    splitrun *s = j->s;
    sdev *d = j->d;
    pthread_mutex_lock(&s->lock);
    while (!s->go)
        pthread_cond_wait(&s->gate, &s->lock);
    int stop = s->stop;
    pthread_mutex_unlock(&s->lock);
    double t0 = sb_now();
    d->elems = 0;
    d->st = SB_OK;
    if (stop)
        return NULL;
    for (int i = 0; d->st == SB_OK; i++) {
        int c = i;
        if (s->dynamic) {
            pthread_mutex_lock(&s->lock);
            c = s->next++;
            pthread_mutex_unlock(&s->lock);
        }
        if (c >= d->nparts)
            break;
        d->st = run_part(s, d, &d->parts[c], &d->err);
        /* A device takes its next chunk when it has finished this one. */
        cl_int rc = d->st == SB_OK ? clFinish(d->ctx.queue) : CL_SUCCESS;
        if (SB_CLFAIL(rc, &d->err, "clFinish"))
            d->st = d->err.code;
        d->elems += d->parts[c].b - d->parts[c].a;
        if (j->owner)
            j->owner[c] = j->who;
    }
    d->busy = sb_now() - t0;
    return NULL;
}

/* One split run on every device at once; the wall seconds from the common start. */
static int split_once(splitrun *s, int *owner, double *wall, sb_err *err)
{
    job jobs[16];
    pthread_t th[16];
    int started = 0;
    s->next = 0;
    s->go = s->stop = 0;
    for (int i = 0; i < s->ndev; i++) {
        jobs[i] = (job){s, &s->dev[i], owner, i};
        if (pthread_create(&th[i], NULL, split_thread, &jobs[i]) != 0)
            break;
        started++;
    }
    pthread_mutex_lock(&s->lock);
    s->go = 1;
    s->stop = started < s->ndev;
    pthread_cond_broadcast(&s->gate);
    pthread_mutex_unlock(&s->lock);
    double t0 = sb_now();
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    *wall = sb_now() - t0;
    if (started < s->ndev)
        return sb_fail(err, SB_ERUNTIME, "split: cannot start a host thread");
    for (int i = 0; i < s->ndev; i++)
        if (s->dev[i].st != SB_OK) {
            *err = s->dev[i].err;
            return sb_wrap(err, "split on device %d:%d (%s)", s->dev[i].ref.platform,
                           s->dev[i].ref.device, s->dev[i].ref.name);
        }
    return SB_OK;
}

static int median_of(double *v, int n, double *out, sb_err *err)
{
    sb_stats st;
    if (sb_stats_compute(v, (size_t)n, &st, err) != SB_OK)
        return err->code;
    *out = st.median;
    return SB_OK;
}

/* Device d alone on the whole vector, once: seconds into *t. */
static int alone_once(const splitrun *s, sdev *d, double *t, sb_err *err)
{
    part whole = {0, s->n, d->in, d->out, 0, 0};
    double t0 = sb_now();
    int st = run_part(s, d, &whole, err);
    cl_int rc = st == SB_OK ? clFinish(d->ctx.queue) : CL_SUCCESS;
    if (st != SB_OK || SB_CLFAIL(rc, err, "clFinish"))
        return sb_wrap(err, "device %d:%d alone", d->ref.platform, d->ref.device);
    *t = sb_now() - t0;
    return SB_OK;
}

/* Each device alone on the whole vector (after one warm-up): median seconds into
 * dev->busy, which the static shares follow. */
static int time_alone(splitrun *s, int reps, double *tmp, sb_err *err)
{
    for (int i = 0; i < s->ndev; i++) {
        sdev *d = &s->dev[i];
        for (int r = -1; r < reps; r++)
            if (alone_once(s, d, &tmp[r < 0 ? 0 : r], err) != SB_OK)
                return err->code;
        if (median_of(tmp, reps, &d->busy, err) != SB_OK)
            return err->code;
    }
    return SB_OK;
}

/* The output of the parts each device computed, gathered on the host. */
static int gather(const splitrun *s, const int *owner, unsigned char *res, sb_err *err)
{
    for (int i = 0; i < s->ndev; i++) {
        const sdev *d = &s->dev[i];
        for (int c = 0; c < d->nparts; c++) {
            const part *p = &d->parts[c];
            if (p->b == p->a || (s->dynamic && owner[c] != i))
                continue;
            cl_int rc = clEnqueueReadBuffer(d->ctx.queue, d->out, CL_TRUE, out_off(s, p->a),
                                            out_len(s, p->a, p->b), res + out_off(s, p->a),
                                            0, NULL, NULL);
            if (SB_CLFAIL(rc, err, "reading the split's result"))
                return err->code;
        }
    }
    return SB_OK;
}

/* ---- the measurement ------------------------------------------------------------------- */

static int open_devices(splitrun *s, const sb_split_cfg *cfg, sb_err *err)
{
    sb_devset set;
    const sb_devref *all;
    int nall;
    if (!cfg->devices || !*cfg->devices)
        return sb_fail(err, SB_EUSAGE, "micro --split: give the devices (D1,D2 or all)");
    if (sb_devices_all(&all, &nall, err) != SB_OK ||
        sb_devset_match(cfg->devices, "micro --split ", all, nall, &set, err) != SB_OK)
        return err->code;
    if (set.n < 2)
        return sb_fail(err, SB_EUSAGE,
                       "micro --split %s: names one device; a split needs "
                       "two or more",
                       cfg->devices ? cfg->devices : "");
    s->dev = calloc((size_t)set.n, sizeof *s->dev);
    if (!s->dev)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    s->ndev = set.n;
    size_t align = 128;
    for (int i = 0; i < set.n; i++) {
        sdev *d = &s->dev[i];
        d->ref = set.dev[i];
        if (sb_ctx_open_dev(&d->ctx, &d->ref, &cfg->dev, err) != SB_OK)
            return err->code;
        if (sb_ops_init(&d->ops, &d->ctx, err) != SB_OK)
            return err->code;
        d->has_ops = 1;
        cl_uint bits = 0;
        clGetDeviceInfo(d->ref.did, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof bits, &bits,
                        NULL);
        if (bits / 8 > align)
            align = bits / 8;
    }
    /* Part boundaries: whole packed words whose byte offsets every device accepts for
     * a sub-buffer (a / 8 bytes into the bits), in steps of 4096 elements. */
    s->chunk = (8 * align + 4095) / 4096 * 4096;
    return SB_OK;
}

static int alloc_data(splitrun *s, sb_err *err)
{
    size_t n = s->n, m = (size_t)s->m;
    s->words = wordsof(n);
    s->g = malloc(n * 4);
    s->x = malloc(n * 4);
    s->bits = calloc(m * s->words + 1, 4);
    if (!s->g || !s->x || !s->bits)
        return sb_fail(err, SB_ERUNTIME, "out of memory for n = %zu", n);
    uint64_t z = 0x9E3779B97F4A7C15ULL; /* splitmix64: fixed test data, not a study RNG */
    for (size_t i = 0; i < n; i++) {
        z += 0x9E3779B97F4A7C15ULL;
        uint64_t r = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        r = (r ^ (r >> 27)) * 0x94D049BB133111EBULL;
        r ^= r >> 31;
        s->g[i] = (float)((double)(r >> 11) / 9007199254740992.0 - 0.5);
        s->x[i] = (float)((double)(r & 0xffff) / 65536.0);
        for (size_t v = 0; v < m; v++)
            if ((r >> (v % 64)) & 1)
                s->bits[v * s->words + i / 32] |= 1u << (i % 32);
    }
    for (int i = 0; i < s->ndev; i++) {
        sdev *d = &s->dev[i];
        size_t inb = s->op == OP_VOTE ? m * s->words * 4 : n * 4;
        size_t outb = s->op == OP_UPDATE ? n * 4 : s->words * 4;
        if (sb_buffer(&d->ctx, CL_MEM_READ_WRITE, inb, NULL, &d->in, err) != SB_OK ||
            sb_buffer(&d->ctx, CL_MEM_READ_WRITE, outb, NULL, &d->out, err) != SB_OK)
            return err->code;
        if (upload(s, d, err) != SB_OK)
            return err->code;
    }
    size_t per = s->n / (size_t)(s->ndev * s->cpd) + 1;
    size_t ck = (per + s->chunk - 1) / s->chunk * s->chunk;
    s->nchunks = 0;
    for (size_t a = 0; a < n && s->nchunks < MAX_PARTS; a += ck) {
        size_t b = a + ck < n ? a + ck : n;
        if (s->nchunks == MAX_PARTS - 1)
            b = n;
        s->chunks[s->nchunks++] = (part){a, b, NULL, NULL, 0, 0};
        if (b == n)
            break;
    }
    return SB_OK;
}

static void split_free(splitrun *s)
{
    for (int i = 0; s->dev && i < s->ndev; i++) {
        sdev *d = &s->dev[i];
        parts_free(d);
        if (d->in)
            clReleaseMemObject(d->in);
        if (d->out)
            clReleaseMemObject(d->out);
        if (d->has_ops)
            sb_ops_free(&d->ops);
        if (d->ctx.ctx)
            sb_ctx_close(&d->ctx);
    }
    free(s->dev);
    free(s->g);
    free(s->x);
    free(s->bits);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->gate);
}

/* The check (split result == the first device alone, bit for bit), then the timing. */
static int measure(splitrun *s, const sb_split_cfg *cfg, sb_split_result *r, sb_err *err)
{
    int reps = cfg->reps;
    double *tmp = calloc((size_t)reps, sizeof *tmp);
    double *busy = calloc((size_t)reps * (size_t)s->ndev, sizeof *busy);
    double *alone = calloc((size_t)reps * (size_t)s->ndev, sizeof *alone);
    double *share = calloc((size_t)s->ndev, sizeof *share);
    size_t ob = s->op == OP_UPDATE ? s->n * 4 : s->words * 4;
    unsigned char *ref = malloc(ob + 4), *got = calloc(ob + 4, 1);
    int owner[MAX_PARTS];
    int st = tmp && busy && alone && share && ref && got
                 ? SB_OK
                 : sb_fail(err, SB_ERUNTIME, "out of memory");
    if (st == SB_OK)
        st = time_alone(s, reps, tmp, err);
    sdev *d0 = &s->dev[0];
    if (st == SB_OK && (st = upload(s, d0, err)) == SB_OK) {
        part whole = {0, s->n, d0->in, d0->out, 0, 0};
        st = run_part(s, d0, &whole, err);
        cl_int rc = st == SB_OK ? clEnqueueReadBuffer(d0->ctx.queue, d0->out, CL_TRUE, 0,
                                                      ob, ref, 0, NULL, NULL)
                                : CL_SUCCESS;
        if (SB_CLFAIL(rc, err, "reading the one-device result"))
            st = err->code;
    }
    if (st == SB_OK)
        st = build_parts(s, err);
    for (int i = 0; i < s->ndev && st == SB_OK; i++)
        st = upload(s, &s->dev[i], err);
    double wall;
    if (st == SB_OK)
        st = split_once(s, owner, &wall, err);
    if (st == SB_OK)
        st = gather(s, owner, got, err);
    r->exact = st == SB_OK && memcmp(ref, got, ob) == 0;
    /* Timed: each device alone, then the split, in turn, so that the efficiency compares
     * rates taken under the same load. */
    for (int k = 0; k < reps && st == SB_OK; k++) {
        for (int i = 0; i < s->ndev && st == SB_OK; i++)
            st = alone_once(s, &s->dev[i], &alone[(size_t)i * (size_t)reps + (size_t)k],
                            err);
        if (st == SB_OK)
            st = split_once(s, owner, &tmp[k], err);
        for (int i = 0; i < s->ndev; i++) {
            busy[(size_t)i * (size_t)reps + (size_t)k] = s->dev[i].busy;
            share[i] += (double)s->dev[i].elems / (double)s->n / reps;
        }
    }
    if (st == SB_OK)
        st = median_of(tmp, reps, &r->split_s, err);
    for (int i = 0; i < s->ndev && st == SB_OK; i++) {
        st = median_of(busy + (size_t)i * (size_t)reps, reps, &r->dev[i].busy_s, err);
        if (st == SB_OK)
            st = median_of(alone + (size_t)i * (size_t)reps, reps, &r->dev[i].alone_s, err);
        r->dev[i].share = share[i];
    }
    free(tmp);
    free(busy);
    free(alone);
    free(share);
    free(ref);
    free(got);
    return st;
}

int sb_split_run(const sb_split_cfg *cfg, const char *op, sb_split_result *r, sb_err *err)
{
    memset(r, 0, sizeof *r);
    splitrun s;
    memset(&s, 0, sizeof s);
    s.op = -1;
    for (int i = 0; sb_split_ops[i]; i++)
        if (op && !strcmp(op, sb_split_ops[i]))
            s.op = i;
    if (s.op < 0)
        return sb_fail(err, SB_EUSAGE,
                       "micro --split: unknown kernel '%s' (update, pack, "
                       "vote)",
                       op ? op : "");
    if (cfg->n < 1 || cfg->n > 0xffffffffu || cfg->reps < 3 || cfg->vote_m < 1 ||
        cfg->vote_m > 64 || cfg->chunks_per_device < 1 || cfg->chunks_per_device > 64)
        return sb_fail(err, SB_EUSAGE,
                       "micro --split: n, reps (>= 3), vote m (1 to 64) or "
                       "chunks per device (1 to 64) out of range");
    s.n = cfg->n;
    s.m = cfg->vote_m;
    s.cpd = cfg->chunks_per_device;
    s.dynamic = cfg->schedule == SB_SPLIT_DYNAMIC;
    s.upd = sb_update_find("signsgd");
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.gate, NULL);
    int st = open_devices(&s, cfg, err);
    if (st == SB_OK && s.ndev > 16)
        st = sb_fail(err, SB_EUSAGE, "micro --split: at most 16 devices");
    if (st == SB_OK)
        st = alloc_data(&s, err);
    if (st == SB_OK)
        st = measure(&s, cfg, r, err);
    if (st == SB_OK) {
        snprintf(r->op, sizeof r->op, "%s", op);
        r->n = s.n;
        r->chunk = s.dynamic ? s.chunks[0].b - s.chunks[0].a : s.chunk;
        r->ndev = s.ndev;
        r->bytes = s.op == OP_UPDATE ? s.upd->bytes_per_elem * (double)s.n
                   : s.op == OP_PACK ? 4.0 * (double)s.n + 4.0 * (double)s.words
                                     : 4.0 * (double)s.words * (double)(s.m + 1);
        r->gbs = r->bytes / r->split_s / 1e9;
        for (int i = 0; i < s.ndev; i++) {
            snprintf(r->dev[i].index, sizeof r->dev[i].index, "%d:%d",
                     s.dev[i].ref.platform, s.dev[i].ref.device);
            snprintf(r->dev[i].name, sizeof r->dev[i].name, "%s", s.dev[i].ref.name);
            r->sum_alone_gbs += r->bytes / r->dev[i].alone_s / 1e9;
        }
        r->efficiency = r->gbs / r->sum_alone_gbs;
    }
    split_free(&s);
    return st;
}
