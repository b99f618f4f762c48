# End-to-end tests of `convgraph convert`: one ctest per case in
# tests/convert/convert_tests.py. testdata_sweep converts every ONNX test-data model
# (to ONNX with all passes, and to YAML) and prints "N converted, M refused, K
# failed". The cases that compare numbers run the models in onnxruntime-node and
# TensorFlow's conv2d (tfjs-core), installed by convert/install into the build tree
# (its own prefix, so it never races the tfjs tests' install).
set(CG_CONVERT_CASES seed_to_onnx yaml_onnx_roundtrip symbolic_keeps_auto_pad external_data
                     bad_inputs testdata_sweep)
set(CG_CONVERT_ORACLE_CASES explicit_pads_backend valid_windows
                            dilated_same_conv_matches_tensorflow passes_table)
set(CG_CONVERT_NPM_PREFIX ${CMAKE_BINARY_DIR}/npm-convert)

find_program(CG_NODE node)
find_program(CG_NPM npm)
if(CG_NODE AND CG_NPM)
  add_test(NAME convert/install
           COMMAND ${CMAKE_COMMAND} -DNPM=${CG_NPM} -DPREFIX=${CG_CONVERT_NPM_PREFIX}
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/convert/install_npm.cmake)
  set_tests_properties(convert/install PROPERTIES FIXTURES_SETUP convert_oracles TIMEOUT 300)
else()
  message(STATUS "node or npm not found: convert tests against onnxruntime/tfjs disabled")
  set(CG_CONVERT_ORACLE_CASES)
endif()

foreach(case ${CG_CONVERT_CASES} ${CG_CONVERT_ORACLE_CASES})
  add_test(NAME convert/${case}
           COMMAND ${CG_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/convert/convert_tests.py
                   $<TARGET_FILE:convgraph> ${CMAKE_SOURCE_DIR} ${CG_CONVERT_NPM_PREFIX} ${case})
  set_tests_properties(convert/${case} PROPERTIES TIMEOUT 120)
endforeach()
foreach(case ${CG_CONVERT_ORACLE_CASES})
  set_tests_properties(convert/${case} PROPERTIES FIXTURES_REQUIRED convert_oracles)
endforeach()
