# Real architectures: torchvision models exported to ONNX (once per build tree, into
# torchvision_models/ there); every value's shape and dtype is checked against
# onnx.shape_inference (tests/models/check_torchvision.py says how).
add_test(NAME models/torchvision
         COMMAND ${CG_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/models/check_torchvision.py
                 $<TARGET_FILE:convgraph> ${CMAKE_BINARY_DIR}/torchvision_models)
# Exit status 77: python3-onnx/torch/torchvision missing; reported as skipped.
set_tests_properties(models/torchvision PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)

# Windowed ops (Conv, ConvTranspose, MaxPool, AveragePool) in 500 random seeded
# configurations: convgraph's output shape must be the one PyTorch computes.
add_test(NAME models/torch_windows
         COMMAND ${CG_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/models/check_torch_windows.py
                 $<TARGET_FILE:convgraph> ${CMAKE_BINARY_DIR}/torch_windows 500)
set_tests_properties(models/torch_windows PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
