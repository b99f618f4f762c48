/* `convgraph run MODEL`: binds inputs (files or seeded random data), runs the
 * graph once (fast kernels by default, or only the reference ones), prints a
 * summary of every output and, with --output-dir, writes them. Nothing is written
 * unless the whole run succeeds. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "convgraph/format.h"
#include "convgraph/runtime.h"

static const cli_command run_command = {"run", false, help_print_run, true};

enum { TOP_K = 5, PATH_CAP = 4096 };

/* One graph input and where its data comes from. */
typedef struct run_input {
    int value;        /* graph value index */
    const char *file; /* NULL: seeded random data */
    uint64_t seed;
    bool given; /* named by an --input */
    cg_tensor *tensor;
} run_input;

typedef struct run_plan {
    cg_graph *g;
    const cli_args *args;
    run_input in[CLI_MAX_INPUTS];
    int n_in;
} run_plan;

/* ---- --input NAME=FILE | NAME:random[:SEED] ---- */

/* Where "NAME:random[:SEED]" splits (the last ':random', as NAME may hold one);
 * NULL when spec is not of that form. */
static const char *random_suffix(const char *spec, bool *seeded, uint64_t *seed)
{
    const char *r = NULL;
    for (const char *next = strstr(spec, ":random"); next; next = strstr(next + 1, ":random"))
        r = next;
    if (!r || (r[7] != '\0' && r[7] != ':'))
        return NULL;
    if (r[7] == ':') {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(r + 8, &end, 10);
        if (r[8] < '0' || r[8] > '9' || *end != '\0' || errno)
            return NULL;
        *seeded = true;
        *seed = (uint64_t)v;
    }
    return r;
}

/* Splits one --input value into the input's name and a file (NAME=FILE: the first
 * '=' splits, so FILE may hold any character) or a seed (NAME:random[:SEED]). */
static bool parse_input_spec(const char *spec, char *name, size_t cap, const char **file,
                             bool *seeded, uint64_t *seed)
{
    const char *split = strchr(spec, '=');
    *file = split ? split + 1 : NULL;
    *seeded = false;
    if (!split)
        split = random_suffix(spec, seeded, seed);
    size_t len = split ? (size_t)(split - spec) : 0;
    if (len == 0 || len >= cap || (*file && !**file))
        return false;
    memcpy(name, spec, len);
    name[len] = '\0';
    return true;
}

static int find_plan_input(const run_plan *p, int value)
{
    for (int i = 0; i < p->n_in; i++)
        if (p->in[i].value == value)
            return i;
    return -1;
}

/* Applies one --input to the plan; prints the one-line reason on failure. */
static bool apply_input_spec(run_plan *p, const char *spec)
{
    char name[256];
    const char *file;
    bool seeded;
    uint64_t seed = 0;
    if (!parse_input_spec(spec, name, sizeof name, &file, &seeded, &seed)) {
        fprintf(stderr, "convgraph run: --input '%s': want NAME=FILE or NAME:random[:SEED]\n", spec);
        return false;
    }
    int v = cg_graph_find(p->g, name);
    int slot = v >= 0 ? find_plan_input(p, v) : -1;
    if (slot < 0) {
        fprintf(stderr, "%s: --input %s: the model has no input '%s'%s\n", p->g->source, spec, name,
                v >= 0 && p->g->values[v].is_initializer ? " (it is an initializer)" : "");
        return false;
    }
    run_input *in = &p->in[slot];
    if (in->given) {
        fprintf(stderr, "convgraph run: --input %s: input '%s' is given twice\n", spec, name);
        return false;
    }
    in->given = true;
    in->file = file;
    if (seeded)
        in->seed = seed;
    return true;
}

/* Every graph input gets a slot: by default random data seeded with its position. */
static bool plan_inputs(run_plan *p)
{
    const cg_graph *g = p->g;
    if (g->n_inputs > CLI_MAX_INPUTS) {
        fprintf(stderr, "%s: more than %d inputs\n", g->source, CLI_MAX_INPUTS);
        return false;
    }
    for (int i = 0; i < g->n_inputs; i++)
        p->in[i] = (run_input){g->inputs[i], NULL, (uint64_t)i, false, NULL};
    p->n_in = g->n_inputs;
    for (int i = 0; i < p->args->n_inputs; i++)
        if (!apply_input_spec(p, p->args->inputs[i]))
            return false;
    return true;
}

/* ---- input tensors ---- */

static cg_tensor *read_tensor_file(const char *path, cg_status *st)
{
    if (cg_path_has_suffix(path, ".npy"))
        return cg_npy_read(path, st);
    if (cg_path_has_suffix(path, ".pb"))
        return cg_onnx_read_tensor(path, st);
    cg_fail(st, CG_ERR_IO, "%s: unknown tensor file type (want .npy or .pb)", path);
    return NULL;
}

/* What the input must look like: its declared shape, or its --input-shape pin. */
static cg_shape expected_shape(const run_plan *p, const cg_value *v)
{
    for (int i = 0; i < p->args->n_pins; i++)
        if (strcmp(p->args->pins[i].name, v->name) == 0)
            return cg_shape_of(p->args->pins[i].rank, p->args->pins[i].dims);
    return v->shape;
}

/* cg_graph_run checks this as well; here the message can name the file and the
 * pins count. */
static bool tensor_fits(const run_plan *p, const run_input *in)
{
    const cg_value *v = &p->g->values[in->value];
    const cg_tensor *t = in->tensor;
    cg_shape want = expected_shape(p, v), got = cg_tensor_shape(t);
    bool ok = v->dtype == CG_UNDEFINED || v->dtype == t->dtype;
    ok = ok && (want.rank < 0 || want.rank == t->rank);
    for (int i = 0; ok && want.rank >= 0 && i < t->rank; i++)
        ok = !cg_dim_is_known(want.d[i]) || want.d[i].v == t->dims[i];
    if (ok)
        return true;
    char want_s[300], got_s[300];
    cli_type_text(v->dtype, &want, want_s, sizeof want_s);
    cli_type_text(t->dtype, &got, got_s, sizeof got_s);
    fprintf(stderr, "%s: input '%s' expects %s but the file holds %s\n", in->file, v->name, want_s,
            got_s);
    return false;
}

static bool make_random_input(const run_plan *p, run_input *in)
{
    const cg_value *v = &p->g->values[in->value];
    cg_infer_options opt = {p->args->pins, p->args->n_pins, NULL};
    cg_status st = {0};
    int64_t dims[CG_MAX_RANK];
    int rank;
    cg_dtype dtype = v->dtype == CG_UNDEFINED ? CG_FLOAT : v->dtype;
    if (cg_graph_input_dims(p->g, in->value, &opt, &rank, dims, &st) != CG_OK ||
        !(in->tensor = cg_tensor_new(dtype, rank, dims, &st))) {
        fprintf(stderr, "%s\n", st.msg);
        return false;
    }
    if (!cg_tensor_fill_random(in->tensor, in->seed)) {
        fprintf(stderr, "%s: input '%s' is %s: random data is made only for numbers and bools; "
                        "give it with --input %s=FILE\n",
                p->g->source, v->name, cg_dtype_name(dtype), v->name);
        return false;
    }
    return true;
}

static bool load_inputs(run_plan *p)
{
    for (int i = 0; i < p->n_in; i++) {
        run_input *in = &p->in[i];
        cg_status st = {0};
        if (!in->file) {
            if (!make_random_input(p, in))
                return false;
        } else if (!(in->tensor = read_tensor_file(in->file, &st))) {
            fprintf(stderr, "%s\n", st.msg);
            return false;
        } else if (!tensor_fits(p, in)) {
            return false;
        }
    }
    return true;
}

static void free_inputs(run_plan *p)
{
    for (int i = 0; i < p->n_in; i++)
        cg_tensor_free(p->in[i].tensor);
}

/* ---- the summary on stdout ---- */

static void print_input(const run_plan *p, const run_input *in)
{
    char type[300];
    cg_shape s = cg_tensor_shape(in->tensor);
    cli_type_text(in->tensor->dtype, &s, type, sizeof type);
    printf("input  %s  %s  ", p->g->values[in->value].name, type);
    if (in->file)
        printf("from %s\n", in->file);
    else if (cg_dtype_is_float(in->tensor->dtype))
        printf("random uniform in [-1, 1], seed %llu\n", (unsigned long long)in->seed);
    else
        printf("random integers in [%s], seed %llu\n", in->tensor->dtype == CG_BOOL ? "0, 1" : "0, 9",
               (unsigned long long)in->seed);
}

/* The dtypes cg_tensor_get_f64 reads (bfloat16 is not among them). */
static bool has_numbers(cg_dtype t)
{
    return (cg_dtype_is_float(t) && t != CG_BFLOAT16) || cg_dtype_is_int(t) || t == CG_BOOL;
}

/* min / max / mean over the elements that are not NaN; how many are NaN. */
static void print_stats(const cg_tensor *t)
{
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    int64_t n = 0, nan = 0;
    for (int64_t i = 0; i < t->numel; i++) {
        double x = cg_tensor_get_f64(t, i);
        if (isnan(x)) {
            nan++;
            continue;
        }
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
        sum += x;
        n++;
    }
    if (n > 0)
        printf("  min %.6g  max %.6g  mean %.6g", lo + 0.0, hi + 0.0, sum / (double)n); /* no "-0" */
    if (nan > 0)
        printf("  %lld NaN", (long long)nan);
}

/* The TOP_K largest values of a [1,K] output, largest first (lower index on ties). */
static void print_top(const cg_tensor *t)
{
    int64_t best[TOP_K];
    int n = 0;
    for (int64_t i = 0; i < t->numel; i++) {
        double x = cg_tensor_get_f64(t, i);
        if (isnan(x) || (n == TOP_K && x <= cg_tensor_get_f64(t, best[n - 1])))
            continue;
        int at = n < TOP_K ? n++ : n - 1;
        while (at > 0 && x > cg_tensor_get_f64(t, best[at - 1])) {
            best[at] = best[at - 1];
            at--;
        }
        best[at] = i;
    }
    printf("       top-%d", n);
    for (int k = 0; k < n; k++)
        printf("  %lld: %.6g", (long long)best[k], cg_tensor_get_f64(t, best[k]) + 0.0);
    putchar('\n');
}

static void print_output(const cg_named_tensor *o)
{
    char type[300];
    const cg_tensor *t = o->tensor;
    cg_shape s = cg_tensor_shape(t);
    cli_type_text(t->dtype, &s, type, sizeof type);
    printf("output %s  %s", o->name, type);
    if (has_numbers(t->dtype))
        print_stats(t);
    putchar('\n');
    if (has_numbers(t->dtype) && t->rank == 2 && t->dims[0] == 1 && t->dims[1] > 0)
        print_top(t);
}

/* ---- --output-dir ---- */

/* mkdir -p: every missing folder on the way. */
static bool make_dirs(const char *dir)
{
    char path[PATH_CAP];
    struct stat sb;
    if (!dir[0]) {
        fprintf(stderr, "convgraph run: --output-dir is empty\n");
        return false;
    }
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        fprintf(stderr, "%s: path too long\n", dir);
        return false;
    }
    for (char *c = path + 1;; c++) {
        if (*c != '/' && *c != '\0')
            continue;
        char was = *c;
        *c = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "%s: cannot create folder: %s\n", path, strerror(errno));
            return false;
        }
        *c = was;
        if (was == '\0')
            break;
    }
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "%s: not a folder\n", dir);
        return false;
    }
    return true;
}

/* A tensor name as a file name: letters, digits, '-', '_' and inner '.' are kept;
 * '/' and anything else become '_' (so "a/b:0" -> "a_b_0", ".." -> "_."). */
static void file_stem(const char *name, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *c = name; *c && n + 1 < cap; c++) {
        bool keep = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                    *c == '-' || *c == '_' || (*c == '.' && n > 0);
        out[n++] = keep ? *c : '_';
    }
    if (n == 0)
        out[n++] = '_';
    out[n] = '\0';
}

static bool stem_taken(char stems[][256], int n, const char *stem)
{
    for (int i = 0; i < n; i++)
        if (strcmp(stems[i], stem) == 0)
            return true;
    return false;
}

static bool write_outputs(const char *dir, const char *format, const cg_named_tensor *out, int n)
{
    char (*stems)[256] = calloc((size_t)(n > 0 ? n : 1), sizeof *stems);
    bool ok = stems && make_dirs(dir);
    bool pb = format && strcmp(format, "pb") == 0;
    for (int i = 0; ok && i < n; i++) {
        char path[PATH_CAP];
        cg_status st = {0};
        file_stem(out[i].name, stems[i], 240);
        if (stem_taken(stems, i, stems[i])) /* two names that sanitize alike */
            snprintf(stems[i] + strlen(stems[i]), 16, "_%d", i);
        snprintf(path, sizeof path, "%s/%s.%s", dir, stems[i], pb ? "pb" : "npy");
        cg_code rc = pb ? cg_onnx_write_tensor(path, out[i].tensor, out[i].name, &st)
                        : cg_npy_write(path, out[i].tensor, &st);
        if (rc != CG_OK)
            fprintf(stderr, "%s\n", st.msg);
        else
            printf("wrote %s\n", path);
        ok = rc == CG_OK;
    }
    free(stems);
    return ok;
}

/* ---- the command ---- */

/* Exit status for a failed run: an op or dtype without a kernel is 1 (the model is
 * fine, convgraph cannot run it); inputs that do not fit the model are 2. */
static int run_failure_exit(cg_code code)
{
    return code == CG_ERR_UNSUPPORTED || code == CG_ERR_NOMEM ? CLI_EXIT_PROBLEMS : CLI_EXIT_USAGE;
}

/* Runs the session on the planned inputs; prints the message on failure. */
static bool run_session(run_plan *p, cg_session *s, cg_named_tensor **out, int *n_out, cg_code *code)
{
    cg_named_tensor named[CLI_MAX_INPUTS];
    for (int i = 0; i < p->n_in; i++)
        named[i] = (cg_named_tensor){p->g->values[p->in[i].value].name, p->in[i].tensor};
    cg_status st = {0};
    *code = cg_session_run(s, named, p->n_in, out, n_out, &st);
    if (*code != CG_OK)
        fprintf(stderr, "%s\n", st.msg);
    return *code == CG_OK;
}

/* A session (--kernels reference: the plain reference kernels only). With the
 * fast kernels it rewrites the graph (the one bench times; this command's
 * own), renumbering its values: the planned inputs are found again by name
 * (graph inputs keep theirs). */
static cg_session *run_session_new(run_plan *p, cg_code *code)
{
    cg_run_options opt = {p->args->reference_kernels ? CG_KERNELS_REFERENCE : CG_KERNELS_FAST, 0};
    char *names[CLI_MAX_INPUTS];
    int named = 0;
    while (named < p->n_in && (names[named] = strdup(p->g->values[p->in[named].value].name)))
        named++;
    cg_status st = {0};
    cg_session *s = named == p->n_in ? cg_session_new(p->g, &opt, &st) : NULL;
    for (int i = 0; i < named; i++) {
        p->in[i].value = s ? cg_graph_find(p->g, names[i]) : p->in[i].value;
        free(names[i]);
    }
    if (!s) {
        *code = st.code != CG_OK ? st.code : CG_ERR_NOMEM;
        fprintf(stderr, "%s\n", st.msg);
    }
    return s;
}

static int run_plan_execute(run_plan *p)
{
    char ops[512];
    if (cg_graph_unrunnable_ops(p->g, ops, sizeof ops) > 0) {
        fprintf(stderr, "%s: no kernel for %s\n", p->g->source, ops);
        return CLI_EXIT_PROBLEMS;
    }
    if (!plan_inputs(p) || !load_inputs(p))
        return CLI_EXIT_USAGE;
    cg_code code = CG_OK;
    cg_session *s = run_session_new(p, &code);
    if (!s)
        return run_failure_exit(code);
    cg_named_tensor *out = NULL;
    int n_out = 0;
    bool ran = run_session(p, s, &out, &n_out, &code);
    cg_session_free(s);
    if (!ran)
        return run_failure_exit(code);
    for (int i = 0; i < p->n_in; i++)
        print_input(p, &p->in[i]);
    for (int i = 0; i < n_out; i++)
        print_output(&out[i]);
    int rc = CLI_EXIT_OK;
    if (p->args->output_dir && !write_outputs(p->args->output_dir, p->args->format, out, n_out))
        rc = CLI_EXIT_USAGE;
    cg_named_tensors_free(out, n_out);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    static cli_args args; /* large (pins); static keeps it off the stack */
    int begun = cli_begin(&run_command, argc, argv, &args);
    if (begun != CLI_CONTINUE)
        return begun;
    cg_graph *g = cli_load_model(&args);
    if (!g)
        return CLI_EXIT_USAGE;
    static run_plan plan;
    plan = (run_plan){g, &args, {{0}}, 0};
    int rc = run_plan_execute(&plan);
    free_inputs(&plan);
    cg_graph_free(g);
    return rc;
}
