/* Runs one ONNX backend test folder: model.onnx, then each test_data_set_N with
 * input_K.pb bound to the K-th graph input and output_K.pb compared with the
 * K-th graph output. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "convgraph/conform.h"
#include "convgraph/format.h"
#include "convgraph/runtime.h"

enum { MAX_DATA_SETS = 64, PATH_CAP = 4096 };

static bool file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

bool cg_conform_is_test_dir(const char *dir)
{
    char path[PATH_CAP];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    return file_exists(path);
}

static void verdict(cg_conform_result *res, cg_verdict v, const char *detail)
{
    res->verdict = v;
    snprintf(res->detail, sizeof res->detail, "%s", detail);
}

/* An error becomes SKIP when it says "unsupported", FAIL otherwise. */
static void verdict_from(cg_conform_result *res, const cg_status *st)
{
    verdict(res, st->code == CG_ERR_UNSUPPORTED ? CG_VERDICT_SKIP : CG_VERDICT_FAIL, st->msg);
}

/* Reads input_0.pb, input_1.pb, ... bound to the graph inputs in order. */
static bool read_inputs(const cg_graph *g, const char *set, cg_named_tensor *in, int *n,
                        cg_conform_result *res)
{
    char path[PATH_CAP];
    cg_status st = {0};
    *n = 0;
    for (int k = 0; k < g->n_inputs; k++) {
        snprintf(path, sizeof path, "%s/input_%d.pb", set, k);
        if (!file_exists(path))
            break; /* trailing optional inputs may be left out */
        if (!(in[k].tensor = cg_onnx_read_tensor(path, &st))) {
            verdict_from(res, &st);
            return false;
        }
        in[k].name = g->values[g->inputs[k]].name;
        *n = k + 1;
    }
    return true;
}

static bool compare_outputs(const char *set, const cg_named_tensor *out, int n_out, double atol,
                            double rtol, cg_conform_result *res)
{
    char path[PATH_CAP], detail[768];
    cg_status st = {0};
    for (int k = 0; k < n_out; k++) {
        snprintf(path, sizeof path, "%s/output_%d.pb", set, k);
        if (!file_exists(path))
            continue;
        cg_tensor *ref = cg_onnx_read_tensor(path, &st);
        if (!ref) {
            verdict_from(res, &st);
            return false;
        }
        cg_compare_result cmp;
        bool ok = cg_tensor_compare(out[k].tensor, ref, atol, rtol, &cmp);
        cg_tensor_free(ref);
        if (!ok) {
            const char *base = strrchr(set, '/');
            snprintf(detail, sizeof detail, "%s: output '%s': %s (max abs err %.3g, max rel err %.3g)",
                     base ? base + 1 : set, out[k].name, cmp.msg, cmp.max_abs, cmp.max_rel);
            verdict(res, CG_VERDICT_FAIL, detail);
            return false;
        }
    }
    return true;
}

static bool run_data_set(cg_session *s, const cg_graph *g, const char *set, double atol, double rtol,
                         cg_conform_result *res)
{
    cg_named_tensor in[64] = {{0}};
    cg_named_tensor *out = NULL;
    int n_in = 0, n_out = 0;
    cg_status st = {0};
    bool ok = g->n_inputs <= 64 && read_inputs(g, set, in, &n_in, res);
    if (ok && cg_session_run(s, in, n_in, &out, &n_out, &st) != CG_OK) {
        verdict_from(res, &st);
        ok = false;
    }
    ok = ok && compare_outputs(set, out, n_out, atol, rtol, res);
    for (int k = 0; k < n_in; k++)
        cg_tensor_free(in[k].tensor);
    cg_named_tensors_free(out, n_out);
    return ok;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The test_data_set_N folders of dir, sorted; returns how many (at most max). */
static int list_data_sets(const char *dir, char **sets, int max)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) && n < max;) {
        if (strncmp(e->d_name, "test_data_set_", 14) != 0)
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        if ((sets[n] = malloc(len)))
            snprintf(sets[n++], len, "%s/%s", dir, e->d_name);
    }
    if (d)
        closedir(d);
    qsort(sets, (size_t)n, sizeof *sets, compare_names);
    return n;
}

static void run_model(cg_graph *g, const char *dir, double atol, double rtol, cg_conform_result *res)
{
    char ops[512];
    if (cg_graph_unrunnable_ops(g, ops, sizeof ops) > 0) {
        snprintf(res->detail, sizeof res->detail, "unsupported op %s", ops);
        res->verdict = CG_VERDICT_SKIP;
        return;
    }
    /* A session with the fast kernels and the graph rewrites (fusion, channels-
     * last regions), as bench and run use them: the model is this test's own. */
    cg_run_options opt = {CG_KERNELS_FAST, 0};
    cg_status st = {0};
    cg_session *s = cg_session_new(g, &opt, &st);
    if (!s) {
        verdict_from(res, &st);
        return;
    }
    char *sets[MAX_DATA_SETS];
    int n = list_data_sets(dir, sets, MAX_DATA_SETS);
    verdict(res, n ? CG_VERDICT_PASS : CG_VERDICT_FAIL, n ? "" : "no test_data_set_N folder");
    for (int i = 0; i < n; i++) {
        if (res->verdict == CG_VERDICT_PASS && run_data_set(s, g, sets[i], atol, rtol, res))
            res->data_sets++;
        free(sets[i]);
    }
    cg_session_free(s);
}

void cg_conform_test(const char *dir, double atol, double rtol, cg_conform_result *res)
{
    char path[PATH_CAP];
    cg_status st = {0};
    memset(res, 0, sizeof *res);
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    cg_graph *g = cg_onnx_load(path, &st);
    if (!g) {
        verdict_from(res, &st);
        return;
    }
    run_model(g, dir, atol, rtol, res);
    cg_graph_free(g);
}
