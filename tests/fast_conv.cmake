# The fast Conv path (src/runtime/fast_conv*.c) against the reference kernel:
# seeded random Conv configurations (shapes, strides, dilations, groups and
# depthwise, every padding mode, fused epilogues with and without Z) run in a
# CG_KERNELS_REFERENCE and a CG_KERNELS_FAST session and compared element by
# element (tests/fast_conv/fast_conv_diff.c). Without oneDNN both sessions run
# the reference kernel and the test still checks the epilogue plumbing.
add_executable(fast_conv_diff ${CMAKE_CURRENT_LIST_DIR}/fast_conv/fast_conv_diff.c)
target_include_directories(fast_conv_diff PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_compile_options(fast_conv_diff PRIVATE ${CG_WARNINGS})
target_link_libraries(fast_conv_diff PRIVATE convgraph_lib m)
add_test(NAME fast_conv_diff COMMAND fast_conv_diff --count 1200)
set_tests_properties(fast_conv_diff PROPERTIES TIMEOUT 120)
