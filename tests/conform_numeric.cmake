# Numeric conformance: `convgraph conform` on each folder of the ONNX backend test
# data (one ctest per folder). A test passes when every FAIL is a known, explained
# disagreement listed in tests/conform_numeric/expected_failures.txt.
set(CG_BACKEND_DATA /usr/share/libonnx-testdata/data)
foreach(folder node pytorch-converted pytorch-operator simple)
  if(EXISTS ${CG_BACKEND_DATA}/${folder})
    add_test(NAME conform_numeric/${folder}
             COMMAND ${CG_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/conform_numeric/check_conform.py
                     $<TARGET_FILE:convgraph> ${CG_BACKEND_DATA}/${folder}
                     ${CMAKE_CURRENT_LIST_DIR}/conform_numeric/expected_failures.txt)
    set_tests_properties(conform_numeric/${folder} PROPERTIES TIMEOUT 300)
  endif()
endforeach()
