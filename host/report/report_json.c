/* report_json.c - Google Benchmark JSON (context, iteration and aggregate rows) built
 * with cJSON, host context from hwloc and /proc, written atomically. */
#define _POSIX_C_SOURCE 200809L
#include "report_json.h"

#include <hwloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"
#include "version.h"

/* Nominal CPU clock in MHz: cpufreq's maximum when the kernel exposes it, else the
 * first "cpu MHz" line of /proc/cpuinfo (virtual machines), else 0. */
static double cpu_mhz(void)
{
    FILE *f = fopen("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", "r");
    double v = 0;
    if (f) {
        if (fscanf(f, "%lf", &v) == 1) {
            fclose(f);
            return v / 1000;
        }
        fclose(f);
    }
    f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return 0;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "cpu MHz", 7)) {
            const char *colon = strchr(line, ':');
            if (colon)
                v = atof(colon + 1);
            break;
        }
    fclose(f);
    return v;
}

static int scaling_enabled(void)
{
    FILE *f = fopen("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "r");
    if (!f)
        return 0;
    char gov[64] = "";
    int ok = fscanf(f, "%63s", gov) == 1;
    fclose(f);
    return ok && strcmp(gov, "performance") != 0;
}

/* Google Benchmark's caches list: type, level, size (bytes of one instance) and
 * num_sharing (logical CPUs per instance). Also returns the last level's total size. */
static unsigned long long host_caches(cJSON *list)
{
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0)
        return 0;
    if (hwloc_topology_load(topo) != 0) {
        hwloc_topology_destroy(topo);
        return 0;
    }
    static const hwloc_obj_type_t types[] = {
        HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L1ICACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L2ICACHE,
        HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L3ICACHE, HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE};
    unsigned long long llc = 0;
    int llc_level = 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        int count = hwloc_get_nbobjs_by_type(topo, types[i]);
        if (count <= 0)
            continue;
        hwloc_obj_t o = hwloc_get_obj_by_type(topo, types[i], 0);
        const char *type = o->attr->cache.type == HWLOC_OBJ_CACHE_INSTRUCTION
                               ? "Instruction"
                           : o->attr->cache.type == HWLOC_OBJ_CACHE_DATA ? "Data"
                                                                         : "Unified";
        int level = (int)o->attr->cache.depth;
        if (list) {
            cJSON *c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "type", type);
            cJSON_AddNumberToObject(c, "level", level);
            cJSON_AddNumberToObject(c, "size", (double)o->attr->cache.size);
            cJSON_AddNumberToObject(c, "num_sharing",
                                    o->cpuset ? hwloc_bitmap_weight(o->cpuset) : 1);
            cJSON_AddItemToArray(list, c);
        }
        if (o->attr->cache.type != HWLOC_OBJ_CACHE_INSTRUCTION && level >= llc_level) {
            llc_level = level;
            llc = (unsigned long long)o->attr->cache.size * (unsigned long long)count;
        }
    }
    hwloc_topology_destroy(topo);
    return llc;
}

unsigned long long sb_llc_bytes(void)
{
    return host_caches(NULL);
}

cJSON *sb_gb_new(const char *executable, cJSON **context)
{
    cJSON *doc = cJSON_CreateObject();
    if (!doc)
        return NULL;
    cJSON *ctx = cJSON_AddObjectToObject(doc, "context");
    char date[64] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
    cJSON_AddStringToObject(ctx, "date", date);
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        strcpy(host, "unknown");
    cJSON_AddStringToObject(ctx, "host_name", host);
    cJSON_AddStringToObject(ctx, "executable", executable ? executable : "signbench");
    cJSON_AddNumberToObject(ctx, "num_cpus", (double)sysconf(_SC_NPROCESSORS_ONLN));
    cJSON_AddNumberToObject(ctx, "mhz_per_cpu", round(cpu_mhz()));
    cJSON_AddBoolToObject(ctx, "cpu_scaling_enabled", scaling_enabled());
    host_caches(cJSON_AddArrayToObject(ctx, "caches"));
    cJSON *load = cJSON_AddArrayToObject(ctx, "load_avg");
    double avg[3];
    if (getloadavg(avg, 3) == 3)
        for (int i = 0; i < 3; i++)
            cJSON_AddItemToArray(load, cJSON_CreateNumber(avg[i]));
#ifdef NDEBUG
    cJSON_AddStringToObject(ctx, "library_build_type", "release");
#else
    cJSON_AddStringToObject(ctx, "library_build_type", "debug");
#endif
    cJSON_AddStringToObject(ctx, "signbench_version", SB_VERSION);
    cJSON_AddStringToObject(ctx, "git_commit", SB_GIT_COMMIT);
    cJSON_AddNumberToObject(ctx, "json_schema_version", 1);
    cJSON_AddArrayToObject(doc, "benchmarks");
    if (context)
        *context = ctx;
    return doc;
}

void sb_gb_name(const sb_gb_bench *b, char *out, size_t cap)
{
    char local[32] = "", variant[48] = "";
    if (b->local)
        snprintf(local, sizeof local, "/local:%zu", b->local);
    if (b->variant)
        snprintf(variant, sizeof variant, "/variant:%s", b->variant);
    snprintf(out, cap, "%s/%s/%zu%s%s%s", b->kernel, b->impl, b->n, local, variant,
             b->manual_time ? "/manual_time" : "");
}

/* Fields every row of one benchmark shares. */
static int same_str(const cJSON *r, const char *field, const char *v)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(r, field);
    return cJSON_IsString(f) && !strcmp(f->valuestring, v);
}

/* Google Benchmark numbers families (here: kernel + impl, in order of appearance) and
 * the instances (sizes) within one; compare.py sorts by them when present. */
static void family_of(const cJSON *list, const sb_gb_bench *b, int *family, int *instance)
{
    int fam = -1, maxfam = -1, inst = 0;
    const char *last_run = "";
    const cJSON *r;
    cJSON_ArrayForEach(r, list)
    {
        const cJSON *fi = cJSON_GetObjectItemCaseSensitive(r, "family_index");
        const cJSON *rn = cJSON_GetObjectItemCaseSensitive(r, "run_name");
        if (!cJSON_IsNumber(fi) || !cJSON_IsString(rn))
            continue;
        if (fi->valueint > maxfam)
            maxfam = fi->valueint;
        if (same_str(r, "kernel", b->kernel) && same_str(r, "impl", b->impl)) {
            fam = fi->valueint;
            if (strcmp(last_run, rn->valuestring)) /* a run's rows are contiguous */
                inst++, last_run = rn->valuestring;
        }
    }
    *family = fam >= 0 ? fam : maxfam + 1;
    *instance = inst;
}

static cJSON *row(const sb_gb_bench *b, int family, int instance, const char *name,
                  const char *run_name, const char *run_type, int rep_index)
{
    cJSON *r = cJSON_CreateObject();
    if (!r)
        return NULL;
    cJSON_AddStringToObject(r, "name", name);
    cJSON_AddNumberToObject(r, "family_index", family);
    cJSON_AddNumberToObject(r, "per_family_instance_index", instance);
    cJSON_AddStringToObject(r, "run_name", run_name);
    cJSON_AddStringToObject(r, "run_type", run_type);
    cJSON_AddNumberToObject(r, "repetitions", b->reps);
    if (rep_index >= 0)
        cJSON_AddNumberToObject(r, "repetition_index", rep_index);
    cJSON_AddNumberToObject(r, "threads", b->threads > 0 ? b->threads : 1);
    return r;
}

static void add_custom(cJSON *r, const sb_gb_bench *b, double roof)
{
    cJSON_AddStringToObject(r, "kernel", b->kernel);
    cJSON_AddStringToObject(r, "impl", b->impl);
    cJSON_AddStringToObject(r, "device", b->device ? b->device : "");
    cJSON_AddNumberToObject(r, "n", (double)b->n);
    cJSON_AddNumberToObject(r, "bytes", b->bytes);
    if (b->local)
        cJSON_AddNumberToObject(r, "local_size", (double)b->local);
    if (isfinite(roof)) {
        cJSON_AddNumberToObject(r, "roofline_fraction", roof);
        cJSON_AddStringToObject(r, "roofline_ref", b->roofline_ref ? b->roofline_ref : "");
    }
}

int sb_gb_add(cJSON *doc, const sb_gb_bench *b, sb_err *err)
{
    cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "benchmarks");
    if (!cJSON_IsArray(list) || b->reps < 1)
        return sb_fail(err, SB_ERUNTIME, "report: no benchmarks list or no repetitions");
    sb_stats real, cpu;
    if (sb_stats_compute(b->real_s, (size_t)b->reps, &real, err) != SB_OK ||
        sb_stats_compute(b->cpu_s, (size_t)b->reps, &cpu, err) != SB_OK)
        return sb_wrap(err, "report of %s/%s", b->kernel, b->impl);
    /* Rates per repetition, so the aggregates of bytes_per_second are of the rate. */
    double *rate = malloc((size_t)b->reps * sizeof *rate);
    /* Per repetition, the fraction is this repetition's rate over the reference's
     * median rate, so a regression gate gets a real sample rather than one value. */
    double *frac = malloc((size_t)b->reps * sizeof *frac);
    if (!rate || !frac) {
        free(rate), free(frac);
        return sb_fail(err, SB_ERUNTIME, "report: out of memory");
    }
    int has_roof = isfinite(b->roofline_fraction);
    for (int i = 0; i < b->reps; i++) {
        rate[i] = b->real_s[i] > 0 ? b->bytes / b->real_s[i] : 0;
        frac[i] = has_roof && b->real_s[i] > 0
                      ? b->roofline_fraction * real.median / b->real_s[i]
                      : 0;
    }
    sb_stats rs, fs;
    sb_stats_compute(rate, (size_t)b->reps, &rs, NULL);
    sb_stats_compute(frac, (size_t)b->reps, &fs, NULL);
    const char *unit = b->time_unit;
    double scale = !unit                 ? 0
                   : !strcmp(unit, "ns") ? 1e9
                   : !strcmp(unit, "us") ? 1e6
                   : !strcmp(unit, "ms") ? 1e3
                   : !strcmp(unit, "s")  ? 1
                                         : 0;
    if (scale == 0) {
        free(rate), free(frac);
        return sb_fail(err, SB_ERUNTIME,
                       "report of %s/%s: time unit '%s' is not ns, us, ms "
                       "or s",
                       b->kernel, b->impl, unit ? unit : "(none)");
    }
    char name[256], agg[300];
    sb_gb_name(b, name, sizeof name);
    int family, instance;
    family_of(list, b, &family, &instance);
    for (int i = 0; i < b->reps && !b->aggregates_only; i++) {
        cJSON *r = row(b, family, instance, name, name, "iteration", i);
        cJSON_AddNumberToObject(r, "iterations", 1);
        cJSON_AddNumberToObject(r, "real_time", b->real_s[i] * scale);
        cJSON_AddNumberToObject(r, "cpu_time", b->cpu_s[i] * scale);
        cJSON_AddStringToObject(r, "time_unit", unit);
        if (b->bytes > 0)
            cJSON_AddNumberToObject(r, "bytes_per_second", rate[i]);
        add_custom(r, b, has_roof ? frac[i] : NAN);
        cJSON_AddItemToArray(list, r);
    }
    free(rate);
    free(frac);
    struct {
        const char *name;
        double real, cpu, rate, roof;
        int pct; /* "percentage" unit: cv is a fraction, shown as a percentage */
    } aggs[] = {
        {"mean", real.mean, cpu.mean, rs.mean, fs.mean, 0},
        {"median", real.median, cpu.median, rs.median, b->roofline_fraction, 0},
        {"stddev", real.stddev, cpu.stddev, rs.stddev, fs.stddev, 0},
        {"cv", real.cv, cpu.cv, rs.cv, fs.cv, 1},
        /* the fastest run has the highest rate and fraction; p90 the 10th percentile */
        {"min", real.min, cpu.min, rs.max, fs.max, 0},
        {"p90", real.p90, cpu.p90, 0, b->roofline_fraction * real.median / real.p90, 0},
    };
    for (size_t k = 0; k < sizeof aggs / sizeof aggs[0]; k++) {
        snprintf(agg, sizeof agg, "%s_%s", name, aggs[k].name);
        cJSON *r = row(b, family, instance, agg, name, "aggregate", -1);
        cJSON_AddStringToObject(r, "aggregate_name", aggs[k].name);
        cJSON_AddStringToObject(r, "aggregate_unit", aggs[k].pct ? "percentage" : "time");
        cJSON_AddNumberToObject(r, "iterations", b->reps);
        cJSON_AddNumberToObject(r, "real_time",
                                aggs[k].pct ? aggs[k].real : aggs[k].real * scale);
        cJSON_AddNumberToObject(r, "cpu_time",
                                aggs[k].pct ? aggs[k].cpu : aggs[k].cpu * scale);
        cJSON_AddStringToObject(r, "time_unit", unit);
        if (b->bytes > 0) {
            /* p90 of the time is the 10th percentile of the rate. */
            double v = aggs[k].rate;
            if (!strcmp(aggs[k].name, "p90"))
                v = real.p90 > 0 ? b->bytes / real.p90 : 0;
            cJSON_AddNumberToObject(r, "bytes_per_second", v);
        }
        add_custom(r, b, has_roof ? aggs[k].roof : NAN);
        cJSON_AddItemToArray(list, r);
    }
    return SB_OK;
}

int sb_write_out(const char *path, const char *text, size_t n, sb_err *err)
{
    if (strcmp(path, "-"))
        return sb_write_file(path, text, n, err);
    if (fwrite(text, 1, n, stdout) != n || fflush(stdout) != 0)
        return sb_fail(err, SB_ERUNTIME, "cannot write to standard output");
    return SB_OK;
}

int sb_gb_write_json(const cJSON *doc, const char *path, sb_err *err)
{
    char *text = cJSON_Print(doc);
    if (!text)
        return sb_fail(err, SB_ERUNTIME, "cannot format JSON for %s: out of memory", path);
    size_t n = strlen(text);
    text[n] = '\n'; /* replace the terminator: the file ends with a newline */
    int st = sb_write_out(path, text, n + 1, err);
    free(text);
    return st;
}
