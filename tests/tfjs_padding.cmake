# Differential tests of src/graph/padding.c through tests/tools/padding_eval.c:
#  tfjs/padding   against TensorFlow's own padding code (tfjs-core's conv_util, the
#                 SAME/VALID rules of TF's kernel_shape_util), conv and pool windows;
#  torch/padding  against PyTorch for what TF lacks: pool ceil_mode (onnx PR #5741's
#                 drop rule) and ConvTranspose with pads, output_padding, dilations.
# Both draw seeded random windows and compare size by size and pad by pad.
add_executable(padding_eval ${CMAKE_CURRENT_SOURCE_DIR}/tools/padding_eval.c)
target_compile_options(padding_eval PRIVATE ${CG_WARNINGS})
target_link_libraries(padding_eval PRIVATE convgraph_lib)

execute_process(COMMAND ${CG_PYTHON3} -c "import torch" RESULT_VARIABLE cg_no_torch
                OUTPUT_QUIET ERROR_QUIET)
if(cg_no_torch)
  message(STATUS "python3 has no torch: torch/padding differential test disabled")
else()
  add_test(NAME torch/padding
           COMMAND ${CG_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/tfjs/torch_padding_diff.py
                   $<TARGET_FILE:padding_eval> 2000 20261130)
  set_tests_properties(torch/padding PROPERTIES TIMEOUT 120)
endif()

find_program(CG_NODE node)
find_program(CG_NPM npm)
if(NOT CG_NODE OR NOT CG_NPM)
  message(STATUS "node or npm not found: tfjs/padding differential test disabled")
  return()
endif()

set(CG_TFJS_PREFIX ${CMAKE_BINARY_DIR}/npm)
set(CG_TFJS_VERSION 4.22.0)
add_test(NAME tfjs/install
         COMMAND ${CMAKE_COMMAND} -DNPM=${CG_NPM} -DPREFIX=${CG_TFJS_PREFIX}
                 -DVERSION=${CG_TFJS_VERSION}
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/tfjs/install_tfjs.cmake)
set_tests_properties(tfjs/install PROPERTIES FIXTURES_SETUP tfjs TIMEOUT 300)

add_test(NAME tfjs/padding
         COMMAND ${CG_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/tfjs/padding_diff.js
                 $<TARGET_FILE:padding_eval> ${CG_TFJS_PREFIX} 3000 20261130)
set_tests_properties(tfjs/padding PROPERTIES FIXTURES_REQUIRED tfjs TIMEOUT 120)
