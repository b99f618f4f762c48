/* Numeric conformance: run an ONNX backend test folder (model.onnx +
 * test_data_set_N/input_K.pb, output_K.pb) and compare every output. */
#ifndef CONVGRAPH_CONFORM_H
#define CONVGRAPH_CONFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "convgraph/tensor.h"

typedef struct cg_compare_result {
    bool ok;
    double max_abs;       /* largest |got - ref| */
    double max_rel;       /* largest |got - ref| / |ref| where ref != 0 */
    int64_t worst_index;  /* flat index of the worst element (-1 if none) */
    char msg[256];        /* why it is not ok, e.g. "shape [2,3] vs [3,2]" */
} cg_compare_result;

/* got matches ref when dtype and shape are equal and every element satisfies
 * |got - ref| <= atol + rtol * |ref|; NaN must match NaN, infinities their sign. */
bool cg_tensor_compare(const cg_tensor *got, const cg_tensor *ref, double atol, double rtol,
                       cg_compare_result *res);

typedef enum cg_verdict { CG_VERDICT_PASS, CG_VERDICT_FAIL, CG_VERDICT_SKIP } cg_verdict;

typedef struct cg_conform_result {
    cg_verdict verdict;
    int data_sets;  /* how many test_data_set_N folders ran */
    char detail[768]; /* FAIL: which output and the errors; SKIP: the reason */
} cg_conform_result;

/* Runs one backend test folder. Unsupported ops, dtypes or tensor types give
 * SKIP with the reason; anything else that goes wrong is a FAIL. */
void cg_conform_test(const char *dir, double atol, double rtol, cg_conform_result *res);

/* True when dir holds a model.onnx. */
bool cg_conform_is_test_dir(const char *dir);

#endif
