# End-to-end tests of `convgraph run` and `convgraph conform`: one ctest per case in
# tests/run_cli/run_cli_tests.py (random and file inputs, .npy and .pb outputs,
# output names as file names; bad inputs: each refused with exit 2, one line on
# stderr, nothing written; conform's verdict lines, tolerances, --filter, usage).
set(CG_RUN_CLI_CASES
  help_and_usage small_cnn_random seeds_are_reproducible top5 symbolic_dim_needs_pin
  backend_npy backend_pb npy_input output_names_sanitized
  bad_missing_file bad_wrong_shape bad_wrong_dtype bad_truncated_npy bad_truncated_pb
  bad_malformed_npy_header bad_input_names
  conform_verdicts conform_tolerances_and_filter conform_usage)
foreach(case ${CG_RUN_CLI_CASES})
  add_test(NAME run_cli/${case}
           COMMAND ${CG_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/run_cli/run_cli_tests.py
                   $<TARGET_FILE:convgraph> ${CMAKE_SOURCE_DIR} ${case})
  set_tests_properties(run_cli/${case} PROPERTIES TIMEOUT 60)
endforeach()
