/* ONNX round trip over backend test folders: load -> cg_onnx_save -> load again,
 * then shape inference on both graphs must agree on every value, and every
 * initializer must come back with the same bytes.
 *
 *   roundtrip [--inferred] [--external MIN_BYTES] OUT_DIR DATA_DIR|SPEC.yaml...
 *
 * Each DATA_DIR holds test folders (NAME/model.onnx); the re-written model goes
 * to OUT_DIR/<DATA_DIR's last component>/NAME/model.onnx. A YAML model spec is
 * converted to OUT_DIR/yaml/NAME/model.onnx and checked the same way. One line per model on
 * stdout, for run_roundtrip.py to tally and to hand to onnx.checker:
 *   PASS suite/NAME<tab>WRITTEN<tab>ORIGINAL | FAIL suite/NAME: why | SKIP suite/NAME: why
 * Each model runs in a child process so a crash is one FAIL, not the end of the run. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "convgraph/convgraph.h"

/* A backend model loads, writes and infers in milliseconds; longer is a hang. */
#define MODEL_TIMEOUT_S 30

/* ---- comparing the two graphs ---- */

/* Like cg_dim_equal, but two unknown dims count as the same answer. */
static bool same_dim(cg_dim a, cg_dim b)
{
    if (cg_dim_is_unknown(a) || cg_dim_is_unknown(b))
        return cg_dim_is_unknown(a) && cg_dim_is_unknown(b);
    return cg_dim_equal(a, b);
}

static bool same_shape(const cg_shape *a, const cg_shape *b)
{
    if (a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (!same_dim(a->d[i], b->d[i]))
            return false;
    return true;
}

static bool same_tensor(const cg_tensor *a, const cg_tensor *b)
{
    if (!a || !b)
        return a == b;
    if (a->dtype != b->dtype || a->rank != b->rank || a->nbytes != b->nbytes)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return false;
    return a->nbytes == 0 || memcmp(a->data, b->data, a->nbytes) == 0;
}

/* Empty string when the graphs agree, else what differs. */
static void compare_values(const cg_graph *a, const cg_graph *b, char *why, size_t len)
{
    why[0] = '\0';
    if (a->n_values != b->n_values) {
        snprintf(why, len, "%d values before, %d after", a->n_values, b->n_values);
        return;
    }
    for (int i = 0; i < a->n_values && !why[0]; i++) {
        const cg_value *va = &a->values[i];
        int j = cg_graph_find(b, va->name);
        const cg_value *vb = j >= 0 ? &b->values[j] : NULL;
        char sa[128], sb[128];
        if (!vb) {
            snprintf(why, len, "value '%s' is missing", va->name);
        } else if (va->dtype != vb->dtype || !same_shape(&va->shape, &vb->shape)) {
            cg_shape_format(&va->shape, sa, sizeof sa);
            cg_shape_format(&vb->shape, sb, sizeof sb);
            snprintf(why, len, "value '%s': %s %s before, %s %s after", va->name,
                     cg_dtype_name(va->dtype), sa, cg_dtype_name(vb->dtype), sb);
        } else if (va->has_declared && (!vb->has_declared ||
                                        va->declared_dtype != vb->declared_dtype ||
                                        !same_shape(&va->declared_shape, &vb->declared_shape))) {
            snprintf(why, len, "value '%s': declared type differs", va->name);
        } else if (va->is_initializer != vb->is_initializer ||
                   (va->is_initializer && !same_tensor(va->data, vb->data))) {
            snprintf(why, len, "initializer '%s' differs", va->name);
        }
    }
}

static void compare_nodes(const cg_graph *a, const cg_graph *b, char *why, size_t len)
{
    if (a->n_nodes != b->n_nodes) {
        snprintf(why, len, "%d nodes before, %d after", a->n_nodes, b->n_nodes);
        return;
    }
    for (int i = 0; i < a->n_nodes && !why[0]; i++)
        if (strcmp(a->nodes[i].op_type, b->nodes[i].op_type) != 0 ||
            a->nodes[i].n_attrs != b->nodes[i].n_attrs)
            snprintf(why, len, "node #%d differs (%s before, %s after)", i,
                     a->nodes[i].op_type, b->nodes[i].op_type);
}

/* Inference goes past problems (diags) so both graphs are compared in full;
 * they must also report the same number of problems. */
static int infer(cg_graph *g)
{
    cg_diag_list diags = {0};
    cg_infer_options opt = {.diags = &diags};
    cg_status st;
    cg_graph_infer_shapes(g, &opt, &st);
    int n = diags.n;
    cg_diag_free(&diags);
    return n;
}

/* ---- one model ---- */

/* --inferred: also declare every inferred type (write_inferred_value_info);
 * --external N: initializers of N bytes or more go to model.onnx.data. */
static cg_onnx_save_options save_options = {.external_min_bytes = -1};

static bool make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        bool ok = mkdir(path, 0755) == 0 || errno == EEXIST;
        *p = '/';
        if (!ok)
            return false;
    }
    return true;
}

/* Writes a to dst and reads it back into *b. false when the writer refuses what
 * the IR cannot hold (subgraphs, local functions): by design, so a SKIP, whose
 * reason goes to why. Any other failure leaves *b NULL and the reason in why. */
static bool save_and_reload(const cg_graph *a, char *dst, cg_graph **b, char *why, size_t len)
{
    cg_status st;
    *b = NULL;
    if (!make_dirs(dst)) {
        snprintf(why, len, "cannot create the folder of %s", dst);
        return true;
    }
    cg_code rc = cg_onnx_save(a, dst, &save_options, &st);
    if (rc == CG_ERR_UNSUPPORTED) {
        snprintf(why, len, "cannot be written: %s", st.msg);
        return false;
    }
    if (rc || !(*b = cg_onnx_load(dst, &st)))
        snprintf(why, len, "%s", st.msg);
    return true;
}

/* Prints the model's line; runs in a child process. */
static void round_trip(const char *label, const char *src, char *dst)
{
    cg_status st;
    cg_graph *a = cg_model_load(src, &st); /* ONNX, or a YAML spec to convert */
    if (!a) {
        printf("SKIP %s: does not load: %s\n", label, st.msg);
        return;
    }
    /* inference first, as a converter does: outputs a YAML spec leaves untyped
     * get their inferred type in the file */
    int problems_before = infer(a);
    cg_graph *b;
    char why[8192] = "";
    if (!save_and_reload(a, dst, &b, why, sizeof why)) {
        printf("SKIP %s: %s\n", label, why);
        cg_graph_free(a);
        return;
    }
    int problems_after = b ? infer(b) : 0;
    if (!why[0] && problems_before != problems_after)
        snprintf(why, sizeof why, "%d inference problems before, %d after", problems_before,
                 problems_after);
    if (!why[0])
        compare_values(a, b, why, sizeof why);
    if (!why[0])
        compare_nodes(a, b, why, sizeof why);
    if (why[0])
        printf("FAIL %s: %s\n", label, why);
    else
        printf("PASS %s\t%s\t%s\n", label, dst, src);
    cg_graph_free(b);
    cg_graph_free(a);
}

static void run_isolated(const char *label, const char *src, char *dst)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(MODEL_TIMEOUT_S);
        round_trip(label, src, dst);
        fflush(stdout);
        _exit(0);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        printf("FAIL %s: cannot run: %s\n", label, strerror(errno));
    else if (WIFSIGNALED(status))
        printf("FAIL %s: %s (signal %d)\n", label,
               WTERMSIG(status) == SIGALRM ? "timed out" : "crashed", WTERMSIG(status));
}

/* ---- folders ---- */

static int only_dirs(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

static bool is_yaml(const char *path)
{
    size_t n = strlen(path);
    return (n > 5 && !strcmp(path + n - 5, ".yaml")) || (n > 4 && !strcmp(path + n - 4, ".yml"));
}

/* A YAML model spec: converted to OUT_DIR/yaml/NAME/model.onnx. */
static void run_yaml(const char *out_dir, const char *spec)
{
    const char *base = strrchr(spec, '/');
    base = base ? base + 1 : spec;
    char dst[4096], label[512];
    int stem = (int)(strrchr(base, '.') - base);
    snprintf(dst, sizeof dst, "%s/yaml/%.*s/model.onnx", out_dir, stem, base);
    snprintf(label, sizeof label, "yaml/%.*s", stem, base);
    run_isolated(label, spec, dst);
}

static void run_suite(const char *out_dir, const char *data_dir)
{
    if (is_yaml(data_dir)) {
        run_yaml(out_dir, data_dir);
        return;
    }
    const char *suite = strrchr(data_dir, '/');
    suite = suite && suite[1] ? suite + 1 : data_dir;
    struct dirent **list;
    int n = scandir(data_dir, &list, only_dirs, alphasort);
    if (n < 0) {
        printf("FAIL %s: cannot list: %s\n", suite, strerror(errno));
        return;
    }
    for (int i = 0; i < n; i++) {
        char src[4096], dst[4096], label[512];
        snprintf(src, sizeof src, "%s/%s/model.onnx", data_dir, list[i]->d_name);
        snprintf(dst, sizeof dst, "%s/%s/%s/model.onnx", out_dir, suite, list[i]->d_name);
        snprintf(label, sizeof label, "%s/%s", suite, list[i]->d_name);
        if (access(src, R_OK) == 0)
            run_isolated(label, src, dst);
        free(list[i]);
    }
    free(list);
}

int main(int argc, char **argv)
{
    int first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (!strcmp(argv[first], "--inferred"))
            save_options.write_inferred_value_info = true;
        else if (!strcmp(argv[first], "--external") && first + 1 < argc)
            save_options.external_min_bytes = strtoll(argv[++first], NULL, 10);
        else
            break;
    }
    if (argc < first + 2) {
        fprintf(stderr, "usage: roundtrip [--inferred] [--external MIN_BYTES] OUT_DIR "
                        "DATA_DIR|SPEC.yaml...\n");
        return 2;
    }
    for (int i = first + 1; i < argc; i++)
        run_suite(argv[first], argv[i]);
    return 0;
}
