/* Judging one ONNX backend test folder (model.onnx + test_data_set_0/output_K.pb):
 * does convgraph infer every graph output's dtype and shape exactly? */
#ifndef CONFORM_CASE_H
#define CONFORM_CASE_H

#include <stdbool.h>

typedef enum case_verdict { CASE_PASS, CASE_FAIL, CASE_SKIP } case_verdict;

#define CASE_WHY_MAX 1024

typedef struct case_result {
    case_verdict verdict;
    char why[CASE_WHY_MAX]; /* one line: what failed or why it was skipped */
    /* The verdict needed the values of shape-determining inputs (judge_graph). */
    bool used_input_values;
} case_result;

/* Loads dir/model.onnx, infers shapes with no pins and compares each graph output
 * with dir/test_data_set_0/output_K.pb; when that leaves dims unknown (and none
 * wrong), infers again knowing the values of the shape-determining inputs
 * (test_data_set_0/input_K.pb).
 * Never aborts on a bad model. */
void conform_run_case(const char *dir, case_result *r);

#endif
