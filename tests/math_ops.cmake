# Math ops (elementwise, activation, reduction, resize): seeded random one-node models
# whose inferred output dtype/shape must match onnx.shape_inference (strict mode), and
# which must be rejected where ONNX rejects them. One ctest per op family.
foreach(family broadcast reduce resize softmax prelu)
  add_test(NAME math_ops/${family}
           COMMAND ${CG_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/math_ops/oracle.py
                   $<TARGET_FILE:convgraph> ${family})
  set_tests_properties(math_ops/${family} PROPERTIES TIMEOUT 120)
endforeach()
