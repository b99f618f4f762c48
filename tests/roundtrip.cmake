# ONNX round trip: every backend test model that loads is re-written with
# cg_onnx_save (under the build tree), loaded again and compared (inferred shapes
# of every value, declared types, initializer bytes); then onnx.checker must accept
# the written file, and `convgraph conform` must pass from the written model
# wherever it passes from the original. The roundtrip-inferred/ variants write
# every inferred shape into value_info and run onnx's full check (strict shape
# inference) over them. One ctest per data folder so they run in parallel.
set(CG_ONNX_TESTDATA /usr/share/libonnx-testdata/data CACHE PATH
    "ONNX backend test data (package libonnx-testdata)")

add_executable(onnx_roundtrip ${CMAKE_CURRENT_LIST_DIR}/roundtrip/roundtrip.c)
target_compile_options(onnx_roundtrip PRIVATE ${CG_WARNINGS})
target_link_libraries(onnx_roundtrip PRIVATE convgraph_lib)

set(CG_ROUNDTRIP_RUN ${CG_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/roundtrip/run_roundtrip.py)

foreach(folder node pytorch-converted pytorch-operator simple)
  if(EXISTS ${CG_ONNX_TESTDATA}/${folder})
    add_test(NAME roundtrip/${folder}
             COMMAND ${CG_ROUNDTRIP_RUN} --conform $<TARGET_FILE:convgraph>
                     $<TARGET_FILE:onnx_roundtrip> ${CMAKE_BINARY_DIR}/roundtrip
                     ${CG_ONNX_TESTDATA}/${folder})
    add_test(NAME roundtrip-inferred/${folder}
             COMMAND ${CG_ROUNDTRIP_RUN} --inferred
                     $<TARGET_FILE:onnx_roundtrip> ${CMAKE_BINARY_DIR}/roundtrip-inferred
                     ${CG_ONNX_TESTDATA}/${folder})
  else()
    message(STATUS "roundtrip/${folder}: ${CG_ONNX_TESTDATA}/${folder} not found "
                   "(install libonnx-testdata); test not registered")
  endif()
endforeach()

# The YAML model specs the project ships, converted to ONNX: the converted file
# must load to the same shapes and pass onnx's full check with its inferred shapes.
file(GLOB CG_ROUNDTRIP_SPECS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/models/*.yaml)
if(CG_ROUNDTRIP_SPECS)
  add_test(NAME roundtrip/yaml
           COMMAND ${CG_ROUNDTRIP_RUN} $<TARGET_FILE:onnx_roundtrip>
                   ${CMAKE_BINARY_DIR}/roundtrip ${CG_ROUNDTRIP_SPECS})
  add_test(NAME roundtrip-inferred/yaml
           COMMAND ${CG_ROUNDTRIP_RUN} --inferred $<TARGET_FILE:onnx_roundtrip>
                   ${CMAKE_BINARY_DIR}/roundtrip-inferred ${CG_ROUNDTRIP_SPECS})
endif()

# Real models (the torchvision folders tests/realmodels.cmake exports into the
# build tree) with every initializer of 1 KiB or more in external data: onnx.load
# reads the data file back for the checker, and `convgraph conform` runs from it.
set(CG_ROUNDTRIP_REAL realmodels/resnet18 realmodels/mobilenet_v2 realmodels/squeezenet1_1
                      realmodels/googlenet)
add_test(NAME roundtrip/realmodels-external
         COMMAND ${CG_ROUNDTRIP_RUN} --conform $<TARGET_FILE:convgraph> --external 1024
                 $<TARGET_FILE:onnx_roundtrip> ${CMAKE_BINARY_DIR}/roundtrip-external
                 ${CMAKE_BINARY_DIR}/realmodels)
# Exit status 77: the real models have not been exported (python3 torch missing).
set_tests_properties(roundtrip/realmodels-external PROPERTIES
                     DEPENDS "${CG_ROUNDTRIP_REAL}" SKIP_RETURN_CODE 77 TIMEOUT 300)
