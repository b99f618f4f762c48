/* Help texts. The op list is generated from the registry so it cannot go stale. */
#include <string.h>

#include "cli.h"

#define HELP_WIDTH 80
#define HELP_INDENT "  "

static const char options_text[] =
    "  --input-shape NAME:D1,D2,...  pin graph input NAME to a concrete shape, e.g.\n"
    "                                --input-shape x:1,3,224,224 (repeatable)\n";

static const char exit_text[] =
    "exit status: 0 success, 1 inference failed or problems found, 2 usage error\n"
    "or the model cannot be read (the reason is one line on stderr).\n";

/* Word-wraps comma-separated items to HELP_WIDTH columns. */
typedef struct wrap_state {
    FILE *out;
    size_t column;
} wrap_state;

static void wrap_item(wrap_state *w, const char *item, bool last)
{
    size_t len = strlen(item) + (last ? 0 : 1); /* the item and its comma */
    if (w->column > strlen(HELP_INDENT) && w->column + 1 + len > HELP_WIDTH) {
        fputs("\n" HELP_INDENT, w->out);
        w->column = strlen(HELP_INDENT);
    } else if (w->column > strlen(HELP_INDENT)) {
        fputc(' ', w->out);
        w->column++;
    }
    fprintf(w->out, "%s%s", item, last ? "" : ",");
    w->column += len;
}

static bool same_op(const cg_op_def *a, const cg_op_def *b)
{
    return strcmp(a->op_type, b->op_type) == 0 && strcmp(a->domain, b->domain) == 0;
}

/* "Conv(1,11)" for registry entries [first, *next); *next is the next op type.
 * A '*' follows when some version has a shape function but no kernel. */
static void format_op_versions(size_t first, size_t *next, char *buf, size_t len)
{
    const cg_op_def *def = cg_op_at(first);
    size_t n = cg_op_count(), used;
    bool shapes_only = false;
    used = (size_t)snprintf(buf, len, "%s%s%s(", def->domain, def->domain[0] ? "." : "",
                            def->op_type);
    size_t i = first;
    for (; i < n && same_op(cg_op_at(i), def) && used < len; i++) {
        used += (size_t)snprintf(buf + used, len - used, "%s%d", i > first ? "," : "",
                                 cg_op_at(i)->since_version);
        shapes_only = shapes_only || !cg_op_at(i)->run;
    }
    if (used < len)
        snprintf(buf + used, len - used, ")%s", shapes_only ? "*" : "");
    *next = i;
}

/* The internal ops a FAST session inserts (domain CG_LAYOUT_DOMAIN, e.g.
 * convgraph.Relayout) are no model's ops: the list, and README, leave them out. */
static bool op_listed(size_t i)
{
    return strcmp(cg_op_at(i)->domain, CG_LAYOUT_DOMAIN) != 0;
}

/* The first listed registry entry from i on; cg_op_count() when none. */
static size_t next_listed(size_t i)
{
    size_t n = cg_op_count();
    while (i < n && !op_listed(i))
        i++;
    return i;
}

static void print_supported_ops(FILE *out)
{
    wrap_state w = {out, strlen(HELP_INDENT)};
    size_t n = cg_op_count();
    fputs("supported ops, with the opsets where each supported version appeared\n"
          "(*: some of these versions have shape inference but no kernel yet, so `run`\n"
          "refuses models that use them and `conform` skips them):\n" HELP_INDENT,
          out);
    for (size_t i = next_listed(0); i < n;) {
        char item[128];
        size_t next;
        format_op_versions(i, &next, item, sizeof item);
        next = next_listed(next);
        wrap_item(&w, item, next >= n);
        i = next;
    }
    fputc('\n', out);
}

void help_print_main(FILE *out)
{
    fputs("usage: convgraph COMMAND [options]\n"
          "       convgraph --help | --version | help [COMMAND]\n\n"
          "Infers every tensor's shape in an ONNX model or YAML model spec and explains\n"
          "the padding of every convolution and pooling window, following TensorFlow's\n"
          "SAME/VALID rules exactly; runs the model on the CPU with reference kernels.\n\n"
          "commands:\n"
          "  shapes MODEL [--input-shape NAME:DIMS]... [--json]\n"
          "                 the model's inputs, outputs, parameters and MACs, then each\n"
          "                 node's input and output shapes, MACs and window geometry\n"
          "  check MODEL [--input-shape NAME:DIMS]...\n"
          "                 validates the model, one line per problem\n"
          "  run MODEL [--input NAME=FILE|NAME:random[:SEED]]... [--output-dir DIR]\n"
          "                 runs the model on the CPU (random inputs by default) and\n"
          "                 summarizes, or writes, its outputs\n"
          "  conform DIR... [--atol A] [--rtol R] [--filter REGEX] [-v]\n"
          "                 runs ONNX backend test folders and compares the outputs\n"
          "  convert IN -o OUT [--input-shape NAME:DIMS]... [passes]\n"
          "                 converts between ONNX and the YAML model spec, optionally\n"
          "                 folding constants and batchnorms, making pads explicit\n"
          "  dot MODEL [--input-shape NAME:DIMS]... [-o FILE]\n"
          "                 the graph as Graphviz DOT (or .svg/.png) with shapes and pads\n"
          "  bench MODEL [--iters K] [--threads N] [--kernels fast|reference] [--profile]\n"
          "                 times repeated runs: latency, throughput, peak memory\n"
          "  help [COMMAND] this help, or a command's\n\n"
          "options:\n",
          out);
    fputs(options_text, out);
    fputs("  --json                        shapes: one JSON document on stdout\n"
          "                                (format: docs/shapes-json.md)\n"
          "  -h, --help                    help (convgraph COMMAND --help: the command's)\n"
          "  --version                     print the version\n\n"
          "MODEL is an ONNX file, or a YAML model spec when it ends in .yaml or .yml.\n\n",
          out);
    fputs(exit_text, out);
    fputs("run: 1 when an op or dtype has no kernel; conform: 1 when a test failed.\n", out);
    fputc('\n', out);
    print_supported_ops(out);
}

void help_print_shapes(FILE *out)
{
    fputs("usage: convgraph shapes MODEL [--input-shape NAME:D1,D2,...]... [--json]\n\n"
          "Infers every tensor's shape and prints a model summary (inputs, outputs,\n"
          "parameter count, total MACs), then one row per node: its input shapes, output\n"
          "shapes and MACs. Convolutions and pools add their kernel, strides, dilations,\n"
          "auto_pad and resolved pads, and for each spatial axis how the output size and\n"
          "padding follow from the input size. Outputs of unsupported ops show as '?'.\n\n"
          "options:\n",
          out);
    fputs(options_text, out);
    fputs("  --json                        one JSON document on stdout instead of text\n"
          "                                (format: docs/shapes-json.md)\n"
          "  -h, --help                    this help\n\n",
          out);
    fputs(exit_text, out);
}

void help_print_check(FILE *out)
{
    fputs("usage: convgraph check MODEL [--input-shape NAME:D1,D2,...]...\n\n"
          "Validates the model and prints one line per problem, then a summary line:\n"
          "nodes out of topological order in the file, duplicate node names, graph\n"
          "outputs nothing produces, dtype, channel and attribute errors found by shape\n"
          "inference, declared shapes (outputs, value_info) that contradict the inferred\n"
          "ones, and unsupported ops with their counts.\n\n"
          "options:\n",
          out);
    fputs(options_text, out);
    fputs("  -h, --help                    this help\n\n"
          "exit status: 0 valid, 1 problems found, 2 usage error or the model cannot be\n"
          "read (the reason is one line on stderr).\n",
          out);
}

void help_print_run(FILE *out)
{
    fputs("usage: convgraph run MODEL [--input NAME=FILE | NAME:random[:SEED]]...\n"
          "                     [--input-shape NAME:D1,D2,...]... [--output-dir DIR]\n"
          "                     [--format npy|pb] [--kernels fast|reference]\n\n"
          "Runs the model once on the CPU and prints, per output, its dtype, shape,\n"
          "min / max / mean, and for a [1,K] output the top-5 indices with their\n"
          "values.\n\n"
          "Each graph input takes its data from --input NAME=FILE (.npy, or .pb: one ONNX\n"
          "TensorProto), or gets seeded random data: uniform in [-1, 1] for float types,\n"
          "integers 0..9 for integer types, 0/1 for bool. The default seed of the K-th\n"
          "input is K; NAME:random:SEED picks another. Random inputs take the declared\n"
          "shape, with symbolic dims pinned by --input-shape.\n\n"
          "options:\n"
          "  --input NAME=FILE             input NAME from a .npy or .pb file\n"
          "  --input NAME:random[:SEED]    input NAME random, seeded (repeatable)\n",
          out);
    fputs(options_text, out);
    fputs("  --output-dir DIR              write each output to DIR/NAME.npy (DIR is\n"
          "                                created; '/' and other characters a file\n"
          "                                name cannot hold become '_')\n"
          "  --format npy|pb               file format for --output-dir (default npy)\n"
          "  --kernels fast|reference      fast: optimized kernels and graph rewrites\n"
          "                                where there are some (default); reference:\n"
          "                                only the plain reference kernels\n"
          "  -h, --help                    this help\n\n"
          "exit status: 0 success, 1 an op or dtype has no kernel, 2 usage error, an\n"
          "unreadable model or input file, or inputs that do not fit the model (the\n"
          "reason is one line on stderr; nothing is written then).\n",
          out);
}

void help_print_conform(FILE *out)
{
    fputs("usage: convgraph conform DIR... [--atol A] [--rtol R] [--filter REGEX]\n"
          "                         [--timeout S] [-v]\n\n"
          "Runs ONNX backend tests: each DIR is a test folder (model.onnx and\n"
          "test_data_set_N/ with input_K.pb and output_K.pb) or holds test folders one\n"
          "level down, run in name order. input_K.pb feeds the K-th graph input; every\n"
          "output_K.pb must match the K-th output: same dtype and shape, and each element\n"
          "within |got - want| <= atol + rtol * |want| (NaN matches NaN). Each test runs\n"
          "in its own process, so a crash fails that test only.\n\n"
          "Prints one line per test: FAIL NAME: what differs, SKIP NAME: why (an op or\n"
          "dtype without a kernel), PASS NAME (N data sets) with -v; then\n"
          "'N passed, M failed, K skipped'.\n\n"
          "options:\n"
          "  --atol A                      absolute tolerance (default 1e-4)\n"
          "  --rtol R                      relative tolerance (default 1e-3)\n"
          "  --filter REGEX                only tests whose folder name matches REGEX\n"
          "                                (POSIX extended regular expression)\n"
          "  --timeout S                   fail a test still running after S seconds\n"
          "                                (default 0: no limit)\n"
          "  -v, --verbose                 print passing tests too\n"
          "  -h, --help                    this help\n\n"
          "exit status: 0 no test failed, 1 some test failed, 2 usage error or a DIR\n"
          "that cannot be read.\n",
          out);
}
