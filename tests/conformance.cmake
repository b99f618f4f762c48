# Shape conformance: every ONNX backend test (Debian libonnx-testdata) whose ops all
# have shape functions must infer each output's dtype and shape exactly.
# One ctest per data folder so they run in parallel.
set(CG_ONNX_TESTDATA /usr/share/libonnx-testdata/data CACHE PATH
    "ONNX backend test data (package libonnx-testdata)")

add_executable(shape_conform
  ${CMAKE_CURRENT_LIST_DIR}/conformance/shape_conform.c
  ${CMAKE_CURRENT_LIST_DIR}/conformance/conform_case.c
  ${CMAKE_CURRENT_LIST_DIR}/conformance/conform_expect.c
  ${CMAKE_CURRENT_LIST_DIR}/conformance/shape_inputs.c)
target_compile_options(shape_conform PRIVATE ${CG_WARNINGS})
# The runner reads declared output types with the generated protobuf-c code itself,
# independently of the loader under test.
target_link_libraries(shape_conform PRIVATE convgraph_lib cg_onnx_proto)

foreach(folder node pytorch-converted pytorch-operator simple)
  if(EXISTS ${CG_ONNX_TESTDATA}/${folder})
    add_test(NAME conformance/${folder}
             COMMAND shape_conform
                     --expected ${CMAKE_CURRENT_LIST_DIR}/conformance/expected_failures.txt
                     ${CG_ONNX_TESTDATA}/${folder})
  else()
    message(STATUS "conformance/${folder}: ${CG_ONNX_TESTDATA}/${folder} not found "
                   "(install libonnx-testdata); test not registered")
  endif()
endforeach()

# The runner keeps the expected-failures list honest: a listed test that passes
# fails the run (XPASS), and an entry without its '# reason' is refused.
if(EXISTS ${CG_ONNX_TESTDATA}/node/test_relu)
  set(CG_CONFORM_SELF ${CMAKE_CURRENT_LIST_DIR}/conformance/self)
  add_test(NAME conformance/self/xpass
           COMMAND shape_conform --filter "^test_relu$"
                   --expected ${CG_CONFORM_SELF}/lists_passing_test.txt
                   ${CG_ONNX_TESTDATA}/node)
  set_tests_properties(conformance/self/xpass PROPERTIES
                       PASS_REGULAR_EXPRESSION "XPASS test_relu: listed")
  add_test(NAME conformance/self/unexplained
           COMMAND shape_conform --expected ${CG_CONFORM_SELF}/entry_without_reason.txt
                   ${CG_ONNX_TESTDATA}/node/test_relu)
  set_tests_properties(conformance/self/unexplained PROPERTIES
                       PASS_REGULAR_EXPRESSION "entry_without_reason.txt:2: entry has no '# reason'")
endif()
