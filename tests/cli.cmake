# End-to-end tests of the `convgraph` CLI: one ctest per case in tests/cli/cli_tests.py
# (help, usage errors, unreadable models, `shapes` text and JSON on the seed YAML
# model and the ONNX backend test models, `check` exit codes).
set(CG_CLI_CASES
  help help_subcommands usage_errors unreadable_models bad_pin_is_one_line
  seed_text onnx_conv_text onnx_pools_text long_names_wrap_to_100_columns failed_inference_shows_what_was_inferred
  unsupported_op_is_not_an_error seed_json onnx_json symbolic_dims_and_pins
  json_escapes_names check_exit_codes check_collects_every_problem check_file_order)
foreach(case ${CG_CLI_CASES})
  add_test(NAME cli/${case}
           COMMAND ${CG_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli_tests.py
                   $<TARGET_FILE:convgraph> ${CMAKE_SOURCE_DIR} ${case})
endforeach()
