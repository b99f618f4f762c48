/* `convgraph bench MODEL`: prepares one session, feeds it seeded random inputs,
 * runs it W times untimed and K times timed, and prints latency statistics,
 * throughput and the process's peak RSS; --profile adds a per-op-type table.
 * Nothing is asserted about speed here: this command only measures. */
#include "cli.h"
#include "cli_bench.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "convgraph/runtime.h"

enum { MAX_THREADS = 1024, MAX_RUNS = 10000000 };

typedef struct bench_args {
    const char *model;
    cg_pin pins[CLI_MAX_PINS];
    int n_pins;
    cg_run_options run;
    int warmup, iters;
    bool profile, times, help;
} bench_args;

/* The session, its inputs and the per-run times of one benchmark. */
typedef struct bench {
    const bench_args *a;
    cg_graph *g;
    cg_session *s;
    cg_named_tensor in[CLI_MAX_INPUTS];
    int n_in;
    double *ms; /* a->iters timed runs, in run order */
    cg_node_time *before; /* the profile after the warm-up runs */
    int n_nodes;
} bench;

/* ---- arguments ---- */

static const cli_command bench_command = {.name = "bench", .print_help = help_print_bench};

/* "--name V" or "--name=V": the value (advancing *i past a separate one), or NULL
 * when argv[*i] is not this option; *missing when the value is absent. */
static const char *option_value(const char *name, int argc, char **argv, int *i, bool *missing)
{
    size_t len = strlen(name);
    const char *arg = argv[*i];
    *missing = false;
    if (strncmp(arg, name, len) != 0 || (arg[len] != '=' && arg[len] != '\0'))
        return NULL;
    if (arg[len] == '=')
        return arg + len + 1;
    *missing = *i + 1 >= argc;
    return *missing ? NULL : argv[++*i];
}

static bool parse_count(const char *option, const char *v, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno || n < lo || n > hi)
        return cli_usage_error(&bench_command, "%s wants a whole number from %d to %d, not '%s'", option, lo, hi, v);
    *out = (int)n;
    return true;
}

static bool add_pin(bench_args *a, const char *v)
{
    cg_status st = {0};
    if (a->n_pins == CLI_MAX_PINS)
        return cli_usage_error(&bench_command, "at most %d --input-shape options", CLI_MAX_PINS);
    if (cg_pin_parse(v, &a->pins[a->n_pins], &st) != CG_OK)
        return cli_usage_error(&bench_command, "%s", st.msg);
    for (int i = 0; i < a->n_pins; i++)
        if (strcmp(a->pins[i].name, a->pins[a->n_pins].name) == 0)
            return cli_usage_error(&bench_command, "--input-shape %s given twice", a->pins[i].name);
    a->n_pins++;
    return true;
}

static bool set_kernels(bench_args *a, const char *v)
{
    if (strcmp(v, "fast") == 0)
        a->run.kernels = CG_KERNELS_FAST;
    else if (strcmp(v, "reference") == 0)
        a->run.kernels = CG_KERNELS_REFERENCE;
    else
        return cli_usage_error(&bench_command, "--kernels is fast or reference, not '%s'", v);
    return true;
}

/* Options with a value; *handled says whether argv[*i] was one of them. */
static bool parse_valued(bench_args *a, int argc, char **argv, int *i, bool *handled)
{
    static const char *const names[] = {"--threads", "--warmup", "--iters", "--input-shape",
                                        "--kernels"};
    *handled = true;
    for (int k = 0; k < 5; k++) {
        bool missing;
        const char *v = option_value(names[k], argc, argv, i, &missing);
        if (missing)
            return cli_usage_error(&bench_command, "%s needs a value", names[k]);
        if (!v)
            continue;
        switch (k) {
        case 0: return parse_count(names[k], v, 0, MAX_THREADS, &a->run.threads);
        case 1: return parse_count(names[k], v, 0, MAX_RUNS, &a->warmup);
        case 2: return parse_count(names[k], v, 1, MAX_RUNS, &a->iters);
        case 3: return add_pin(a, v);
        default: return set_kernels(a, v);
        }
    }
    *handled = false;
    return true;
}

static bool parse_option(bench_args *a, int argc, char **argv, int *i)
{
    bool handled;
    bool ok = parse_valued(a, argc, argv, i, &handled);
    if (handled)
        return ok;
    const char *arg = argv[*i];
    if (strcmp(arg, "--profile") == 0)
        a->profile = true;
    else if (strcmp(arg, "--times") == 0)
        a->times = true;
    else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
        a->help = true;
    else
        return cli_usage_error(&bench_command, "unknown option '%s'", arg);
    return true;
}

static bool parse_bench_args(int argc, char **argv, bench_args *a)
{
    bool options_done = false;
    memset(a, 0, sizeof *a);
    a->run = (cg_run_options){CG_KERNELS_FAST, 0};
    a->warmup = 5;
    a->iters = 20;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && strcmp(arg, "--") == 0)
            options_done = true;
        else if (!options_done && arg[0] == '-' && arg[1] != '\0') {
            if (!parse_option(a, argc, argv, &i))
                return false;
        } else if (a->model) {
            return cli_usage_error(&bench_command, "one MODEL only ('%s' and '%s' given)", a->model, arg);
        } else {
            a->model = arg;
        }
    }
    return a->model || a->help || cli_usage_error(&bench_command, "%s", "missing MODEL");
}

/* ---- seeded random inputs: cg_tensor_fill_random, as `convgraph run` (the
 * K-th input gets seed K there too) ---- */

static bool make_input(bench *b, int k)
{
    const cg_value *v = &b->g->values[b->g->inputs[k]];
    cg_infer_options opt = {b->a->pins, b->a->n_pins, NULL};
    cg_status st = {0};
    int64_t dims[CG_MAX_RANK];
    int rank;
    cg_dtype dtype = v->dtype == CG_UNDEFINED ? CG_FLOAT : v->dtype;
    cg_tensor *t = NULL;
    if (cg_graph_input_dims(b->g, b->g->inputs[k], &opt, &rank, dims, &st) != CG_OK ||
        !(t = cg_tensor_new(dtype, rank, dims, &st))) {
        fprintf(stderr, "%s\n", st.msg);
        return false;
    }
    /* A copy: the session's rewrites may move the graph's strings. */
    char *name = malloc(strlen(v->name) + 1);
    if (!name) {
        cg_tensor_free(t);
        fprintf(stderr, "%s: out of memory\n", b->g->source);
        return false;
    }
    memcpy(name, v->name, strlen(v->name) + 1);
    b->in[b->n_in++] = (cg_named_tensor){name, t};
    if (cg_tensor_fill_random(t, (uint64_t)k))
        return true;
    fprintf(stderr, "%s: input '%s' is %s: bench makes random data only for numbers and bools\n",
            b->g->source, v->name, cg_dtype_name(dtype));
    return false;
}

static bool make_inputs(bench *b)
{
    if (b->g->n_inputs > CLI_MAX_INPUTS) {
        fprintf(stderr, "%s: more than %d inputs\n", b->g->source, CLI_MAX_INPUTS);
        return false;
    }
    for (int k = 0; k < b->g->n_inputs; k++)
        if (!make_input(b, k))
            return false;
    return true;
}

/* ---- running ---- */

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* One run, outputs discarded; *ms is its wall time. */
static cg_code run_once(bench *b, double *ms, cg_status *st)
{
    cg_named_tensor *out = NULL;
    int n_out = 0;
    double t0 = now_ms();
    cg_code rc = cg_session_run(b->s, b->in, b->n_in, &out, &n_out, st);
    *ms = now_ms() - t0;
    cg_named_tensors_free(out, n_out);
    return rc;
}

static cg_code run_all(bench *b, cg_status *st)
{
    double ms;
    for (int i = 0; i < b->a->warmup; i++)
        if (run_once(b, &ms, st) != CG_OK)
            return st->code;
    if (b->a->profile) {
        b->n_nodes = cg_session_profile(b->s, NULL, 0);
        b->before = calloc((size_t)(b->n_nodes > 0 ? b->n_nodes : 1), sizeof *b->before);
        if (!b->before)
            return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", b->g->source);
        cg_session_profile(b->s, b->before, b->n_nodes);
    }
    for (int i = 0; i < b->a->iters; i++)
        if (run_once(b, &b->ms[i], st) != CG_OK)
            return st->code;
    return CG_OK;
}

/* ---- the report ---- */

static int compare_ms(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The nearest-rank percentile p (0..100] of n sorted values. */
static double percentile(const double *sorted, int n, double p)
{
    int rank = (int)((p / 100.0) * n + 0.999999);
    return sorted[rank < 1 ? 0 : rank > n ? n - 1 : rank - 1];
}

static void print_latency(const bench *b)
{
    int n = b->a->iters;
    double *sorted = malloc((size_t)n * sizeof *sorted), sum = 0;
    if (!sorted)
        return;
    memcpy(sorted, b->ms, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, compare_ms);
    for (int i = 0; i < n; i++)
        sum += sorted[i];
    double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    printf("latency ms   min %.3f  median %.3f  mean %.3f  p90 %.3f  max %.3f\n", sorted[0], median,
           sum / n, percentile(sorted, n, 90), sorted[n - 1]);
    printf("throughput   %.2f inferences/s (timed runs / their total time)\n", sum > 0 ? n * 1e3 / sum : 0);
    free(sorted);
}

static void print_header(const bench *b)
{
    const bench_args *a = b->a;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("model        %s\n", a->model);
    printf("kernels      %s\n", a->run.kernels == CG_KERNELS_FAST ? "fast" : "reference");
    if (a->run.threads > 0)
        printf("threads      %d\n", a->run.threads);
    else
        printf("threads      %ld (one per online core)\n", cores);
    for (int i = 0; i < b->n_in; i++) {
        char type[300];
        cg_shape s = cg_tensor_shape(b->in[i].tensor);
        cli_type_text(b->in[i].tensor->dtype, &s, type, sizeof type);
        printf("input        %s  %s  random, seed %d\n", b->in[i].name, type, i);
    }
    printf("runs         %d warm-up (untimed), %d timed\n", a->warmup, a->iters);
}

static void print_times(const bench *b)
{
    printf("times ms    ");
    for (int i = 0; i < b->a->iters; i++)
        printf(" %.4f", b->ms[i]);
    putchar('\n');
}

static void print_rss(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return;
    /* Linux reports ru_maxrss in KiB. */
    printf("peak RSS     %.1f MiB (the whole process's peak: model, session, inputs and "
           "every run)\n",
           (double)ru.ru_maxrss / 1024.0);
}

/* ---- --profile: time per op type over the timed runs ---- */

typedef struct op_row {
    const char *op_type;
    int nodes;
    double ms;
    double flops; /* over the timed runs */
} op_row;

static int compare_rows(const void *x, const void *y)
{
    double a = ((const op_row *)x)->ms, b = ((const op_row *)y)->ms;
    return (a < b) - (a > b); /* most time first */
}

static int add_to_row(op_row *rows, int n_rows, const char *op_type, double ms, double flops)
{
    int r = 0;
    while (r < n_rows && strcmp(rows[r].op_type, op_type) != 0)
        r++;
    if (r == n_rows)
        rows[n_rows++] = (op_row){op_type, 0, 0, 0};
    rows[r].nodes++;
    rows[r].ms += ms;
    rows[r].flops += flops;
    return n_rows;
}

static void print_rows(const op_row *rows, int n_rows, double total, int iters)
{
    printf("\n%-22s %5s %10s %9s %7s %9s\n", "op type", "nodes", "total ms", "ms/run", "%time",
           "GFLOP/s");
    for (int r = 0; r < n_rows; r++) {
        char gflops[32] = "-";
        if (rows[r].flops > 0 && rows[r].ms > 0)
            snprintf(gflops, sizeof gflops, "%.1f", rows[r].flops / (rows[r].ms * 1e6));
        printf("%-22.22s %5d %10.3f %9.3f %6.1f%% %9s\n", rows[r].op_type, rows[r].nodes, rows[r].ms,
               rows[r].ms / iters, total > 0 ? 100.0 * rows[r].ms / total : 0.0, gflops);
    }
    printf("%-22s %5s %10.3f %9.3f (time inside kernels; latency adds the rest)\n", "all ops", "",
           total, total / iters);
}

static void print_profile(const bench *b)
{
    int n = b->n_nodes;
    cg_node_time *after = calloc((size_t)(n > 0 ? n : 1), sizeof *after);
    op_row *rows = calloc((size_t)(n > 0 ? n : 1), sizeof *rows);
    if (!after || !rows) {
        free(after);
        free(rows);
        return;
    }
    cg_session_profile(b->s, after, n);
    int n_rows = 0;
    double total = 0;
    for (int i = 0; i < n; i++) {
        double ms = after[i].total_ms - b->before[i].total_ms;
        double calls = (double)(after[i].calls - b->before[i].calls);
        n_rows = add_to_row(rows, n_rows, after[i].node->op_type, ms, calls * (double)after[i].flops);
        total += ms;
    }
    qsort(rows, (size_t)n_rows, sizeof *rows, compare_rows);
    print_rows(rows, n_rows, total, b->a->iters);
    free(after);
    free(rows);
}

/* ---- the command ---- */

static int report_failure(const cg_status *st)
{
    fprintf(stderr, "%s\n", st->msg);
    return st->code == CG_ERR_UNSUPPORTED || st->code == CG_ERR_NOMEM ? CLI_EXIT_PROBLEMS
                                                                     : CLI_EXIT_USAGE;
}

/* The session first: it may rewrite the graph, and the inputs are made for the
 * graph it runs. */
static int bench_prepare(bench *b)
{
    char ops[512];
    cg_status st = {0};
    if (cg_graph_unrunnable_ops(b->g, ops, sizeof ops) > 0) {
        fprintf(stderr, "%s: no kernel for %s\n", b->g->source, ops);
        return CLI_EXIT_PROBLEMS;
    }
    if (!(b->ms = calloc((size_t)b->a->iters, sizeof *b->ms))) {
        fprintf(stderr, "%s: out of memory\n", b->g->source);
        return CLI_EXIT_PROBLEMS;
    }
    if (!(b->s = cg_session_new(b->g, &b->a->run, &st)))
        return report_failure(&st);
    return make_inputs(b) ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

static int bench_execute(bench *b)
{
    cg_status st = {0};
    int rc = bench_prepare(b);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (run_all(b, &st) != CG_OK)
        return report_failure(&st);
    print_header(b);
    print_latency(b);
    if (b->a->times)
        print_times(b);
    print_rss();
    if (b->a->profile)
        print_profile(b);
    return CLI_EXIT_OK;
}

static cg_graph *load_model(const bench_args *a)
{
    static cli_args ca; /* large (pins); static keeps it off the stack */
    memset(&ca, 0, sizeof ca);
    ca.model = a->model;
    memcpy(ca.pins, a->pins, sizeof a->pins);
    ca.n_pins = a->n_pins;
    return cli_load_model(&ca);
}

int cmd_bench(int argc, char **argv)
{
    static bench_args args;
    if (!parse_bench_args(argc, argv, &args))
        return CLI_EXIT_USAGE;
    if (args.help) {
        help_print_bench(stdout);
        return CLI_EXIT_OK;
    }
    cg_graph *g = load_model(&args);
    if (!g)
        return CLI_EXIT_USAGE;
    bench b = {.a = &args, .g = g};
    int rc = bench_execute(&b);
    cg_session_free(b.s);
    for (int i = 0; i < b.n_in; i++) {
        free(b.in[i].name);
        cg_tensor_free(b.in[i].tensor);
    }
    free(b.ms);
    free(b.before);
    cg_graph_free(g);
    return rc;
}

void help_print_bench(FILE *out)
{
    fputs("usage: convgraph bench MODEL [--threads N] [--warmup W] [--iters K]\n"
          "                       [--input-shape NAME:D1,D2,...]... [--kernels fast|reference]\n"
          "                       [--profile] [--times]\n\n"
          "Prepares the model once (a session, as a server would), gives each input\n"
          "seeded random data (the data `convgraph run` makes: the K-th input has seed\n"
          "K), runs it W times untimed, then K times timed, and prints the latency of\n"
          "the timed runs in ms (min, median, mean, p90, max), inferences per second\n"
          "and the peak resident memory of the whole process (getrusage: it includes\n"
          "the model file's weights and everything the runs allocated).\n\n"
          "options:\n"
          "  --threads N                   worker threads (default 0: one per online core)\n"
          "  --warmup W                    untimed runs first (default 5)\n"
          "  --iters K                     timed runs (default 20)\n"
          "  --input-shape NAME:D1,D2,...  pin graph input NAME to a concrete shape\n"
          "                                (repeatable)\n"
          "  --kernels fast|reference      fast paths and graph rewrites (default), or\n"
          "                                only the reference kernels\n"
          "  --profile                     add a table per op type over the timed runs:\n"
          "                                nodes, total ms, ms per run, % of kernel\n"
          "                                time, GFLOP/s (2 x MACs / time)\n"
          "  --times                       print every timed run's latency in ms\n"
          "  -h, --help                    this help\n\n"
          "exit status: 0 success, 1 an op or dtype has no kernel, 2 usage error, an\n"
          "unreadable model or inputs that do not fit it (the reason is one line on\n"
          "stderr).\n",
          out);
}
