# Window kernels (Conv, ConvTranspose, MaxPool, AveragePool, LpPool): seeded random
# configurations run through cg_graph_run and compared with a naive implementation
# written from the ONNX spec inside the test (tests/window_diff/window_diff.c).
add_executable(window_diff ${CMAKE_CURRENT_LIST_DIR}/window_diff/window_diff.c)
target_include_directories(window_diff PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_compile_options(window_diff PRIVATE ${CG_WARNINGS})
target_link_libraries(window_diff PRIVATE convgraph_lib m)
add_test(NAME window_diff COMMAND window_diff --count 600)
set_tests_properties(window_diff PROPERTIES TIMEOUT 60)
