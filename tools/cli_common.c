/* Argument parsing, model loading and number formatting shared by subcommands. */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

#include "convgraph/check.h"

bool cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "convgraph %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    cmd->print_help(stderr);
    return false;
}

static bool pinned_already(const cli_args *a, const char *name)
{
    for (int i = 0; i < a->n_pins; i++)
        if (strcmp(a->pins[i].name, name) == 0)
            return true;
    return false;
}

static bool add_pin(const cli_command *cmd, cli_args *a, const char *value)
{
    cg_status st = {0};
    cg_pin pin;
    if (a->n_pins == CLI_MAX_PINS)
        return cli_usage_error(cmd, "at most %d --input-shape options", CLI_MAX_PINS);
    if (cg_pin_parse(value, &pin, &st) != CG_OK)
        return cli_usage_error(cmd, "%s", st.msg);
    if (pinned_already(a, pin.name))
        return cli_usage_error(cmd, "--input-shape %s given twice", pin.name);
    a->pins[a->n_pins++] = pin;
    return true;
}

/* "--input-shape V" or "--input-shape=V": returns the value, advancing *i past a
 * separate value; NULL when arg is not this option. */
static const char *option_value(const char *arg, const char *option, int argc, char **argv,
                                int *i, bool *missing)
{
    size_t len = strlen(option);
    *missing = false;
    if (strncmp(arg, option, len) != 0)
        return NULL;
    if (arg[len] == '=')
        return arg + len + 1;
    if (arg[len] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

/* `run`'s --input, --output-dir, --format and --kernels; *handled says whether arg
 * was one of them. */
static bool parse_run_option(const cli_command *cmd, int argc, char **argv, int *i, cli_args *out,
                             bool *handled)
{
    const char *arg = argv[*i];
    bool missing;
    const char *v;
    *handled = true;
    if ((v = option_value(arg, "--input", argc, argv, i, &missing))) {
        if (out->n_inputs == CLI_MAX_INPUTS)
            return cli_usage_error(cmd, "at most %d --input options", CLI_MAX_INPUTS);
        out->inputs[out->n_inputs++] = v;
        return true;
    }
    if (missing)
        return cli_usage_error(cmd, "--input needs a value NAME=FILE or NAME:random[:SEED]");
    if ((v = option_value(arg, "--output-dir", argc, argv, i, &missing)) && *v) {
        out->output_dir = v;
        return true;
    }
    if (missing || v)
        return cli_usage_error(cmd, "--output-dir needs a folder");
    if ((v = option_value(arg, "--format", argc, argv, i, &missing))) {
        if (strcmp(v, "npy") != 0 && strcmp(v, "pb") != 0)
            return cli_usage_error(cmd, "--format is npy or pb, not '%s'", v);
        out->format = v;
        return true;
    }
    if (missing)
        return cli_usage_error(cmd, "--format needs a value: npy or pb");
    if ((v = option_value(arg, "--kernels", argc, argv, i, &missing))) {
        if (strcmp(v, "fast") != 0 && strcmp(v, "reference") != 0)
            return cli_usage_error(cmd, "--kernels is fast or reference, not '%s'", v);
        out->reference_kernels = strcmp(v, "reference") == 0;
        return true;
    }
    if (missing)
        return cli_usage_error(cmd, "--kernels needs a value: fast or reference");
    *handled = false;
    return true;
}

static bool parse_option(const cli_command *cmd, int argc, char **argv, int *i, cli_args *out)
{
    const char *arg = argv[*i];
    bool missing;
    const char *pin = option_value(arg, "--input-shape", argc, argv, i, &missing);
    if (pin)
        return add_pin(cmd, out, pin);
    if (missing)
        return cli_usage_error(cmd, "--input-shape needs a value NAME:D1,D2,...");
    if (cmd->takes_run_options) {
        bool handled;
        bool ok = parse_run_option(cmd, argc, argv, i, out, &handled);
        if (handled)
            return ok;
    }
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
        out->help = true;
        return true;
    }
    if (cmd->takes_json && strcmp(arg, "--json") == 0) {
        out->json = true;
        return true;
    }
    return cli_usage_error(cmd, "unknown option '%s'", arg);
}

bool cli_parse_args(const cli_command *cmd, int argc, char **argv, cli_args *out)
{
    bool options_done = false;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = true;
        } else if (!options_done && arg[0] == '-' && arg[1] != '\0') {
            if (!parse_option(cmd, argc, argv, &i, out))
                return false;
        } else if (out->model) {
            return cli_usage_error(cmd, "one MODEL only ('%s' and '%s' given)", out->model, arg);
        } else {
            out->model = arg;
        }
    }
    if (!out->model && !out->help)
        return cli_usage_error(cmd, "missing MODEL");
    return true;
}

int cli_begin(const cli_command *cmd, int argc, char **argv, cli_args *out)
{
    if (!cli_parse_args(cmd, argc, argv, out))
        return CLI_EXIT_USAGE;
    if (!out->help)
        return CLI_CONTINUE;
    cmd->print_help(stdout);
    return CLI_EXIT_OK;
}

static cg_graph *load_with(const cli_args *a, cg_graph *(*load)(const char *, cg_status *))
{
    cg_status st = {0};
    cg_graph *g = load(a->model, &st);
    if (!g) {
        fprintf(stderr, "%s\n", st.msg);
        return NULL;
    }
    if (cg_pins_validate(g, a->pins, a->n_pins, &st) != CG_OK) {
        fprintf(stderr, "%s\n", st.msg);
        cg_graph_free(g);
        return NULL;
    }
    return g;
}

cg_graph *cli_load_model(const cli_args *a) { return load_with(a, cg_model_load); }

cg_graph *cli_load_model_shapes(const cli_args *a) { return load_with(a, cg_model_load_shapes_only); }

void cli_human_count(int64_t n, char *buf, size_t len)
{
    static const char units[] = "KMGTPE";
    double v = (double)n;
    int unit = -1;
    if (n < 0) {
        snprintf(buf, len, "?");
        return;
    }
    /* 999.5 and above would round to "1e+03" with three significant digits. */
    while (v >= 999.5 && unit < (int)sizeof units - 2) {
        v /= 1000.0;
        unit++;
    }
    if (unit < 0)
        snprintf(buf, len, "%lld", (long long)n);
    else
        snprintf(buf, len, "%.3g %c", v, units[unit]);
}

void cli_grouped_count(int64_t n, char *buf, size_t len)
{
    char digits[32];
    size_t out = 0;
    if (n < 0) {
        snprintf(buf, len, "?");
        return;
    }
    int nd = snprintf(digits, sizeof digits, "%lld", (long long)n);
    for (int i = 0; i < nd && out + 2 < len; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            buf[out++] = ',';
        buf[out++] = digits[i];
    }
    buf[out] = '\0';
}

const char *cli_dtype_text(cg_dtype t)
{
    return t == CG_UNDEFINED ? "undefined" : cg_dtype_name(t);
}

void cli_type_text(cg_dtype t, const cg_shape *s, char *buf, size_t len)
{
    char dims[256];
    const char *dtype = t == CG_UNDEFINED ? "?" : cg_dtype_name(t);
    if (s->rank < 0) {
        snprintf(buf, len, "%s%s", dtype, t == CG_UNDEFINED ? "" : " ?");
        return;
    }
    cg_shape_format(s, dims, sizeof dims);
    snprintf(buf, len, "%s%s", dtype, dims);
}
