/* `convgraph convert IN -o OUT [passes]`: loads a model, runs the requested graph
 * passes, checks that the result still infers to the same output shapes, writes
 * it (ONNX or YAML, by extension; atomically) and prints a before/after table. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_convert.h"
#include "convgraph/passes.h"

/* Constant folding leaves outputs bigger than this (elements) as computed at run
 * time: a folded 1000x1000 float tensor is 4 MB of file for nothing. */
#define FOLD_MAX_ELEMENTS (1 << 20)
/* onnx.external_data_helper's default size_threshold. */
#define DEFAULT_EXTERNAL_THRESHOLD 1024
#define OP_COLUMN_MIN 22

static const cli_command convert_command = {.name = "convert", .print_help = help_print_convert};

typedef enum model_format { FORMAT_ONNX, FORMAT_YAML } model_format;

typedef struct convert_options {
    const char *output;
    model_format out_format;
    bool explicit_pads, fold_constants, fold_batchnorm, drop_identity, external_data;
    int64_t external_threshold; /* -1: not given */
} convert_options;

void help_print_convert(FILE *out)
{
    fputs("usage: convgraph convert IN -o OUT [--input-shape NAME:D1,D2,...]...\n"
          "                         [--explicit-pads] [--fold-constants] [--fold-batchnorm]\n"
          "                         [--drop-identity]\n"
          "                         [--external-data [--external-threshold BYTES]]\n\n"
          "Converts a model between ONNX (.onnx) and the YAML model spec (.yaml, .yml),\n"
          "chosen by each file's extension, running the requested passes in this order:\n"
          "drop-identity, fold-constants, fold-batchnorm, explicit-pads, then pinning\n"
          "the --input-shape shapes. The converted graph must infer to the same output\n"
          "shapes as the original; then OUT is written through a temporary file, so a\n"
          "failure never leaves a partial OUT. A YAML OUT puts its weights as .npy files\n"
          "in OUT's folder under STEM_weights/.\n\n"
          "Prints one row per op type with its node count before and after, then the\n"
          "file size (before: IN alone; after: OUT and its data or weight files), the\n"
          "bytes of weights, the parameter count and the MACs before and after, then\n"
          "each node a pass left as it was, with the reason (e.g. auto_pad kept because\n"
          "H is symbolic).\n\n"
          "options:\n"
          "  -o, --output OUT              the converted model (.onnx, .yaml or .yml)\n"
          "  --input-shape NAME:D1,D2,...  pin graph input NAME to a concrete shape; the\n"
          "                                converted model declares it, and every inferred\n"
          "                                shape as value_info (repeatable)\n"
          "  --explicit-pads               Conv, ConvTranspose and pools with auto_pad\n"
          "                                SAME_UPPER, SAME_LOWER or VALID get the explicit\n"
          "                                pads TensorFlow's rules give (runtimes that\n"
          "                                refuse or differ on auto_pad then agree)\n"
          "  --fold-constants              precompute nodes whose inputs are all constant\n"
          "                                (outputs up to 1048576 elements)\n"
          "  --fold-batchnorm              fold BatchNormalization into the Conv before it\n"
          "  --drop-identity               remove Identity and inference-mode Dropout\n"
          "  --external-data               .onnx OUT: initializers of at least BYTES go to\n"
          "                                OUT.data next to OUT\n"
          "  --external-threshold BYTES    with --external-data (default 1024)\n"
          "  -h, --help                    this help\n\n"
          "exit status: 0 success, 2 usage error, an unreadable model, an impossible\n"
          "request (a cycle, an unknown op in a YAML spec, an --input-shape the model\n"
          "contradicts) or a failed write (the reason is one line on stderr; OUT is\n"
          "not written then).\n",
          out);
}




/* ---- options: ours are taken out of argv; the shared parser reads the rest ---- */

typedef struct flag_option {
    const char *name;
    size_t offset; /* of the bool in convert_options */
} flag_option;

static const flag_option flag_options[] = {
    {"--explicit-pads", offsetof(convert_options, explicit_pads)},
    {"--fold-constants", offsetof(convert_options, fold_constants)},
    {"--fold-batchnorm", offsetof(convert_options, fold_batchnorm)},
    {"--drop-identity", offsetof(convert_options, drop_identity)},
    {"--external-data", offsetof(convert_options, external_data)},
};

static bool take_flag(const char *arg, convert_options *o)
{
    for (size_t i = 0; i < sizeof flag_options / sizeof flag_options[0]; i++)
        if (strcmp(arg, flag_options[i].name) == 0) {
            *(bool *)((char *)o + flag_options[i].offset) = true;
            return true;
        }
    return false;
}

/* "--opt V", "--opt=V" (and "-o V" for short): the value, or NULL when arg is
 * not this option; *missing when the value is. */
static const char *option_value(const char *arg, const char *long_name, const char *short_name,
                                int argc, char **argv, int *i, bool *missing)
{
    size_t len = strlen(long_name);
    *missing = false;
    if (strncmp(arg, long_name, len) == 0 && arg[len] == '=')
        return arg + len + 1;
    if (strcmp(arg, long_name) != 0 && !(short_name && strcmp(arg, short_name) == 0))
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

static bool parse_threshold(const char *v, convert_options *o)
{
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end || n < 0) {
        cli_usage_error(&convert_command, "--external-threshold takes a byte count >= 0, not '%s'", v);
        return false;
    }
    o->external_threshold = n;
    return true;
}

/* One of our options at argv[*i]: 1 taken, 0 not ours, -1 usage error. */
static int take_option(int argc, char **argv, int *i, convert_options *o)
{
    const char *arg = argv[*i], *v;
    bool missing;
    if (take_flag(arg, o))
        return 1;
    if ((v = option_value(arg, "--output", "-o", argc, argv, i, &missing))) {
        if (o->output) {
            cli_usage_error(&convert_command, "one OUT only (-o given twice)");
            return -1;
        }
        o->output = v;
        return 1;
    }
    if (missing) {
        cli_usage_error(&convert_command, "%s needs a file name", arg);
        return -1;
    }
    if ((v = option_value(arg, "--external-threshold", NULL, argc, argv, i, &missing)))
        return parse_threshold(v, o) ? 1 : -1;
    if (missing) {
        cli_usage_error(&convert_command, "%s needs a byte count", arg);
        return -1;
    }
    return 0;
}

/* The problem with the options as a whole, or NULL. */
static const char *options_problem(convert_options *o)
{
    if (!o->output)
        return "missing -o OUT";
    if (cg_path_has_suffix(o->output, ".onnx"))
        o->out_format = FORMAT_ONNX;
    else if (cg_path_is_yaml(o->output))
        o->out_format = FORMAT_YAML;
    else
        return "OUT must end in .onnx, .yaml or .yml";
    if (o->external_threshold >= 0 && !o->external_data)
        return "--external-threshold needs --external-data";
    if (o->external_data && o->out_format != FORMAT_ONNX)
        return "--external-data needs an .onnx OUT";
    return NULL;
}

/* Takes our options out of argv, compacting it; returns the new argc, or -1 after
 * a usage error. */
static int take_convert_options(int argc, char **argv, convert_options *o)
{
    int kept = 0;
    bool options_done = false;
    memset(o, 0, sizeof *o);
    o->external_threshold = -1;
    for (int i = 0; i < argc; i++) {
        options_done = options_done || strcmp(argv[i], "--") == 0;
        int taken = options_done ? 0 : take_option(argc, argv, &i, o);
        if (taken < 0)
            return -1;
        if (taken == 0)
            argv[kept++] = argv[i];
    }
    return kept;
}

/* ---- what the table compares ---- */

typedef struct op_row {
    char *op; /* "Conv", or "domain.Op" */
    int before, after;
} op_row;

typedef struct model_stats {
    int64_t file_bytes, weight_bytes, params, macs;
    int nodes;
} model_stats;

typedef struct op_table {
    int n, cap;
    op_row *rows;
} op_table;

static void op_table_free(op_table *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->rows[i].op);
    free(t->rows);
}

static op_row *op_table_row(op_table *t, const char *op)
{
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->rows[i].op, op) == 0)
            return &t->rows[i];
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 16;
        op_row *rows = realloc(t->rows, (size_t)cap * sizeof *rows);
        if (!rows)
            return NULL;
        t->rows = rows;
        t->cap = cap;
    }
    char *copy = strdup(op);
    if (!copy)
        return NULL;
    t->rows[t->n] = (op_row){copy, 0, 0};
    return &t->rows[t->n++];
}

/* Counts the graph's nodes per op type into the table's before or after column. */
static bool count_ops(const cg_graph *g, op_table *t, bool after)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const cg_node *n = &g->nodes[i];
        char op[512];
        snprintf(op, sizeof op, "%s%s%s", n->domain, n->domain[0] ? "." : "", n->op_type);
        op_row *row = op_table_row(t, op);
        if (!row)
            return false;
        if (after)
            row->after++;
        else
            row->before++;
    }
    return true;
}

static int64_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) ? (int64_t)sb.st_size : 0;
}

static int64_t weight_bytes(const cg_graph *g)
{
    int64_t total = 0;
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].is_initializer && g->values[v].data)
            total += (int64_t)g->values[v].data->nbytes;
    return total;
}

static void graph_stats(const cg_graph *g, model_stats *s)
{
    s->weight_bytes = weight_bytes(g);
    s->params = cg_graph_param_count(g);
    s->macs = cg_graph_total_macs(g);
    s->nodes = g->n_nodes;
}

/* ---- the passes, in an order where each helps the next: dropping Identity and
 * folding constants expose Conv -> BatchNormalization pairs and static shapes;
 * pads are made explicit once the graph is final; pins are declared last ---- */

typedef enum pass_id {
    PASS_DROP_IDENTITY,
    PASS_FOLD_CONSTANTS,
    PASS_FOLD_BATCHNORM,
    PASS_EXPLICIT_PADS,
    PASS_PIN_SHAPES,
    PASS_COUNT
} pass_id;

static const char *const pass_names[PASS_COUNT] = {"drop-identity", "fold-constants",
                                                   "fold-batchnorm", "explicit-pads",
                                                   "pin-shapes"};

typedef struct pass_log {
    bool ran[PASS_COUNT];
    int changed[PASS_COUNT];
    cg_diag_list notes; /* every node a pass left alone, and why */
} pass_log;

static bool pass_requested(const convert_options *o, const cg_infer_options *inf, pass_id id)
{
    switch (id) {
    case PASS_DROP_IDENTITY: return o->drop_identity;
    case PASS_FOLD_CONSTANTS: return o->fold_constants;
    case PASS_FOLD_BATCHNORM: return o->fold_batchnorm;
    case PASS_EXPLICIT_PADS: return o->explicit_pads;
    case PASS_PIN_SHAPES: return inf->n_pins > 0; /* the file must say what was pinned */
    case PASS_COUNT: break;
    }
    return false;
}

static cg_code run_pass(cg_graph *g, pass_id id, const cg_infer_options *inf,
                        cg_pass_report *rep, cg_status *st)
{
    switch (id) {
    case PASS_DROP_IDENTITY: return cg_pass_drop_identity(g, rep, st);
    case PASS_FOLD_CONSTANTS: return cg_pass_fold_constants(g, FOLD_MAX_ELEMENTS, rep, st);
    case PASS_FOLD_BATCHNORM: return cg_pass_fold_batchnorm(g, rep, st);
    case PASS_EXPLICIT_PADS: return cg_pass_explicit_pads(g, inf, rep, st);
    case PASS_PIN_SHAPES: return cg_pass_pin_shapes(g, inf, rep, st);
    case PASS_COUNT: break;
    }
    return CG_OK;
}

static cg_code run_passes(cg_graph *g, const convert_options *o, const cg_infer_options *inf,
                          pass_log *log, cg_status *st)
{
    for (int id = 0; id < PASS_COUNT; id++) {
        if (!pass_requested(o, inf, (pass_id)id))
            continue;
        cg_pass_report rep = {0};
        cg_code rc = run_pass(g, (pass_id)id, inf, &rep, st);
        log->ran[id] = true;
        log->changed[id] = rep.changed;
        for (int i = 0; i < rep.notes.n; i++)
            cg_diag_add(&log->notes, rep.notes.lines[i]);
        cg_pass_report_free(&rep);
        if (rc != CG_OK)
            return rc;
    }
    /* Passes keep the order valid; sorting again costs little and guards the writers. */
    return cg_graph_toposort(g, st);
}

/* ---- checks around the passes ---- */

/* Inference with the pins, stopping at the first problem: a model that does not
 * infer cannot be converted faithfully (unsupported ops are not problems). */
static bool infer_or_report(cg_graph *g, const cg_infer_options *inf, const char *when)
{
    cg_status st = {0};
    if (cg_graph_infer_shapes(g, inf, &st) == CG_OK)
        return true;
    fprintf(stderr, "%s%s\n", when, st.msg);
    return false;
}

/* The graph outputs' shapes, to compare after the passes (by position: dropping
 * an Identity may rename an output). */
static cg_shape *output_shapes(const cg_graph *g)
{
    cg_shape *s = calloc((size_t)g->n_outputs + 1, sizeof *s);
    for (int i = 0; s && i < g->n_outputs; i++)
        s[i] = g->values[g->outputs[i]].shape;
    return s;
}

/* A pass that changed what the model computes is a bug; refuse to write it. */
static bool outputs_unchanged(const cg_graph *g, const cg_shape *before, int n_before)
{
    char was[256], now[256];
    cg_status st = {0};
    if (g->n_outputs != n_before)
        cg_fail(&st, CG_ERR_INVALID, "%s: the passes changed the number of graph outputs "
                "(%d -> %d); nothing written", g->source, n_before, g->n_outputs);
    for (int i = 0; i < n_before && st.code == CG_OK; i++) {
        const cg_value *v = &g->values[g->outputs[i]];
        if (!cg_shape_is_static(&before[i]) || cg_shape_equal(&before[i], &v->shape))
            continue;
        cg_shape_format(&before[i], was, sizeof was);
        cg_shape_format(&v->shape, now, sizeof now);
        cg_fail(&st, CG_ERR_INVALID, "%s: the passes changed output %d ('%s') from %s to %s; "
                "nothing written", g->source, i, v->name, was, now);
    }
    if (st.code != CG_OK)
        fprintf(stderr, "%s\n", st.msg);
    return st.code == CG_OK;
}

/* ---- writing ---- */

/* Where cg_yaml_save puts OUT's weights (format.h): OUT less its .yaml/.yml
 * extension, plus "_weights"; malloc'd. */
static char *yaml_weights_folder(const char *out)
{
    const char *slash = strrchr(out, '/');
    const char *base = slash ? slash + 1 : out;
    const char *dot = strrchr(base, '.');
    size_t stem = dot ? (size_t)(dot - out) : strlen(out);
    size_t len = stem + sizeof "_weights";
    char *dir = malloc(len);
    if (dir)
        snprintf(dir, len, "%.*s_weights", (int)stem, out);
    return dir;
}

static bool is_folder(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Bytes of the regular files in a folder (a YAML spec's weights). */
static int64_t folder_bytes(const char *dir)
{
    int64_t total = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        if (!path)
            break;
        snprintf(path, len, "%s/%s", dir, e->d_name);
        total += file_size(path);
        free(path);
    }
    closedir(d);
    return total;
}

/* A weights folder this run created is removed when the spec could not be
 * written after it: no half of a conversion stays behind. */
static void remove_folder(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        if (!path)
            break;
        snprintf(path, len, "%s/%s", dir, e->d_name);
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlink(path);
        free(path);
    }
    closedir(d);
    rmdir(dir);
}

static bool has_initializer_of_at_least(const cg_graph *g, int64_t bytes)
{
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].is_initializer && g->values[v].data &&
            g->values[v].data->nbytes > 0 && (int64_t)g->values[v].data->nbytes >= bytes)
            return true;
    return false;
}

/* Writes OUT (and OUT.data with --external-data); *bytes gets the size of what
 * was written. The reason for a failure goes to stderr. */
static bool write_onnx(const cg_graph *g, const convert_options *o, int64_t *bytes)
{
    cg_status st = {0};
    int64_t threshold = o->external_threshold >= 0 ? o->external_threshold
                                                   : DEFAULT_EXTERNAL_THRESHOLD;
    cg_onnx_save_options so = {.external_min_bytes = o->external_data ? threshold : -1};
    if (cg_onnx_save(g, o->output, &so, &st) != CG_OK) {
        fprintf(stderr, "%s\n", st.msg);
        return false;
    }
    *bytes = file_size(o->output);
    /* The writer names the data file "<model file name>.data", next to the model,
     * and creates it only when some initializer goes there. */
    if (o->external_data && has_initializer_of_at_least(g, threshold)) {
        size_t len = strlen(o->output) + sizeof ".data";
        char *data = malloc(len);
        if (data) {
            snprintf(data, len, "%s.data", o->output);
            *bytes += file_size(data);
        }
        free(data);
    }
    return true;
}

static bool write_yaml(const cg_graph *g, const convert_options *o, int64_t *bytes)
{
    cg_status st = {0};
    char *weights = yaml_weights_folder(o->output);
    if (!weights) {
        fprintf(stderr, "convgraph convert: out of memory\n");
        return false;
    }
    bool existed = is_folder(weights);
    bool ok = cg_yaml_save(g, o->output, &st) == CG_OK;
    if (!ok) {
        fprintf(stderr, "%s\n", st.msg);
        if (!existed)
            remove_folder(weights);
    } else {
        *bytes = file_size(o->output) + folder_bytes(weights);
    }
    free(weights);
    return ok;
}

/* ---- the report ---- */

/* Names come from files: control bytes would break the table's lines. */
static void print_sanitized(const char *s)
{
    for (; *s; s++)
        putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static int op_column_width(const op_table *t)
{
    int width = OP_COLUMN_MIN;
    for (int i = 0; i < t->n; i++) {
        int len = (int)strlen(t->rows[i].op);
        width = len > width ? len : width;
    }
    return width;
}

static void print_count_row(const char *label, int width, int64_t before, int64_t after)
{
    char b[40], a[40];
    cli_grouped_count(before, b, sizeof b);
    cli_grouped_count(after, a, sizeof a);
    printf("%-*s  %15s  %15s\n", width, label, b, a);
}

/* "passes: none", or one line per pass run with how much it changed. */
static void print_passes(const pass_log *log)
{
    int shown = 0;
    printf("passes:");
    for (int id = 0; id < PASS_COUNT; id++) {
        if (!log->ran[id])
            continue;
        printf("\n  %-16s%6d changed", pass_names[id], log->changed[id]);
        shown++;
    }
    printf("%s\n", shown ? "" : " none");
}

/* Ops without a shape function are copied as they are; say so, since the
 * shapes, parameters and MACs after them are unknown. */
static void print_unsupported(const cg_graph *g)
{
    char ops[1024];
    if (cg_graph_unsupported_ops(g, ops, sizeof ops) == 0)
        return;
    printf("\nunsupported ops, copied as they are (shapes after them unknown): ");
    print_sanitized(ops);
    printf("\n");
}

static void print_report(const convert_options *o, const char *in, const cg_graph *g,
                         const op_table *t, const model_stats *before,
                         const model_stats *after, const pass_log *log)
{
    int width = op_column_width(t);
    printf("converted ");
    print_sanitized(in);
    printf(" -> ");
    print_sanitized(o->output);
    printf("\n");
    print_passes(log);
    printf("\n%-*s  %15s  %15s\n", width, "op type", "before", "after");
    for (int i = 0; i < t->n; i++) {
        print_sanitized(t->rows[i].op);
        printf("%*s  %15d  %15d\n", width - (int)strlen(t->rows[i].op), "", t->rows[i].before,
               t->rows[i].after);
    }
    print_count_row("nodes", width, before->nodes, after->nodes);
    printf("\n");
    print_count_row("file size (bytes)", width, before->file_bytes, after->file_bytes);
    print_count_row("weights (bytes)", width, before->weight_bytes, after->weight_bytes);
    print_count_row("parameters", width, before->params, after->params);
    print_count_row("MACs", width, before->macs, after->macs);
    print_unsupported(g);
    if (log->notes.n > 0) {
        printf("\nnot converted (%d):\n", log->notes.n);
        for (int i = 0; i < log->notes.n; i++) {
            printf("  ");
            print_sanitized(log->notes.lines[i]);
            printf("\n");
        }
    }
}

/* ---- the command ---- */

typedef struct conversion {
    convert_options o;
    cli_args args;
    cg_graph *g;
    op_table ops;
    model_stats before, after;
    pass_log log;
    cg_shape *outputs_before;
    int n_outputs_before;
} conversion;

static void conversion_free(conversion *c)
{
    op_table_free(&c->ops);
    cg_diag_free(&c->log.notes);
    free(c->outputs_before);
    cg_graph_free(c->g);
}

/* A YAML spec is written by hand, so an op convgraph does not know is far more
 * likely a typo than a custom op to carry along (ONNX models keep theirs). */
static bool yaml_ops_known(const cg_graph *g, const char *path)
{
    if (!cg_path_is_yaml(path))
        return true;
    for (int i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].def)
            continue;
        cg_status st = {0};
        cg_fail_node(&st, CG_ERR_UNSUPPORTED, g, &g->nodes[i],
                     "unknown op: a YAML spec may use only the ops `convgraph --help` lists");
        fprintf(stderr, "%s\n", st.msg);
        return false;
    }
    return true;
}

/* Load, infer, record the "before" column. */
static bool load_and_measure(conversion *c, const cg_infer_options *inf)
{
    c->g = cli_load_model(&c->args);
    if (!c->g || !infer_or_report(c->g, inf, "") || !yaml_ops_known(c->g, c->args.model))
        return false;
    graph_stats(c->g, &c->before);
    c->before.file_bytes = file_size(c->args.model);
    c->n_outputs_before = c->g->n_outputs;
    c->outputs_before = output_shapes(c->g);
    if (!c->outputs_before || !count_ops(c->g, &c->ops, false)) {
        fprintf(stderr, "convgraph convert: out of memory\n");
        return false;
    }
    return true;
}

/* Passes, then the same checks the "before" graph passed; nothing is written
 * unless they hold. */
static bool convert_graph(conversion *c, const cg_infer_options *inf)
{
    cg_status st = {0};
    if (run_passes(c->g, &c->o, inf, &c->log, &st) != CG_OK) {
        fprintf(stderr, "%s\n", st.msg);
        return false;
    }
    if (!infer_or_report(c->g, inf, "convgraph convert: the converted graph does not infer: ") ||
        !outputs_unchanged(c->g, c->outputs_before, c->n_outputs_before))
        return false;
    graph_stats(c->g, &c->after);
    if (!count_ops(c->g, &c->ops, true)) {
        fprintf(stderr, "convgraph convert: out of memory\n");
        return false;
    }
    return true;
}

int cmd_convert(int argc, char **argv)
{
    conversion c = {0};
    argc = take_convert_options(argc, argv, &c.o);
    if (argc < 0)
        return CLI_EXIT_USAGE;
    int begun = cli_begin(&convert_command, argc, argv, &c.args);
    if (begun != CLI_CONTINUE)
        return begun;
    const char *problem = options_problem(&c.o);
    if (problem) {
        cli_usage_error(&convert_command, "%s", problem);
        return CLI_EXIT_USAGE;
    }
    cg_infer_options inf = {c.args.pins, c.args.n_pins, NULL};
    bool ok = load_and_measure(&c, &inf) && convert_graph(&c, &inf);
    if (ok)
        ok = c.o.out_format == FORMAT_ONNX ? write_onnx(c.g, &c.o, &c.after.file_bytes)
                                           : write_yaml(c.g, &c.o, &c.after.file_bytes);
    if (ok)
        print_report(&c.o, c.args.model, c.g, &c.ops, &c.before, &c.after, &c.log);
    conversion_free(&c);
    return ok ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
