/* The fused-epilogue activations shared by the reference and the fast Conv
 * kernels, and the fast path's entry point when oneDNN is absent. */
#include "runtime/fast_conv.h"

#include <float.h>
#include <math.h>
#include <string.h>

int cg_conv_act_parse(const char *name)
{
    static const char *const names[] = {"Relu",    "Clip",        "LeakyRelu", "HardSwish",
                                        "Sigmoid", "HardSigmoid", "Swish"};
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return CG_CONV_ACT_RELU + i;
    return -1;
}

void cg_conv_epilogue_read(const cg_node *n, cg_conv_epilogue *ep)
{
    const char *act = cg_attr_string(n, "cg.activation", NULL);
    int a = act ? cg_conv_act_parse(act) : CG_CONV_ACT_NONE;
    ep->act = a < 0 ? CG_CONV_ACT_NONE : (cg_conv_act)a;
    ep->alpha = cg_attr_float(n, "cg.alpha", ep->act == CG_CONV_ACT_HARD_SIGMOID ? 0.2f : 0.01f);
    ep->beta = cg_attr_float(n, "cg.beta", 0.5f);
    ep->min = cg_attr_float(n, "cg.min", -FLT_MAX);
    ep->max = cg_attr_float(n, "cg.max", FLT_MAX);
    ep->z = NULL;
}

/* The ONNX definitions of the ops the fusion pass folds in. */
double cg_conv_act_apply(const cg_conv_epilogue *ep, double v)
{
    switch (ep->act) {
    case CG_CONV_ACT_RELU:
        return v > 0 ? v : 0;
    case CG_CONV_ACT_CLIP:
        return v < ep->min ? ep->min : v > ep->max ? ep->max : v;
    case CG_CONV_ACT_LEAKY_RELU:
        return v >= 0 ? v : ep->alpha * v;
    case CG_CONV_ACT_HARD_SWISH: { /* x * max(0, min(1, x/6 + 1/2)) */
        double h = v / 6 + 0.5;
        return v * (h < 0 ? 0 : h > 1 ? 1 : h);
    }
    case CG_CONV_ACT_SIGMOID:
        return 1 / (1 + exp(-v));
    case CG_CONV_ACT_HARD_SIGMOID: {
        double h = (double)ep->alpha * v + ep->beta;
        return h < 0 ? 0 : h > 1 ? 1 : h;
    }
    case CG_CONV_ACT_SWISH:
        return v / (1 + exp(-v));
    case CG_CONV_ACT_NONE:
        break;
    }
    return v;
}

#ifndef CG_HAVE_DNNL
bool cg_fast_conv_run(cg_run_ctx *c, const cg_conv_epilogue *ep, cg_code *rc)
{
    (void)c;
    (void)ep;
    (void)rc;
    return false;
}

bool cg_fast_conv_nhwc_ok(const cg_graph *g, const cg_node *n)
{
    (void)g;
    (void)n;
    return false;
}

bool cg_fast_conv_available(void) { return false; }
long cg_fast_conv_runs(void) { return 0; }
void cg_fast_conv_force_candidate(int which) { (void)which; }
#endif
