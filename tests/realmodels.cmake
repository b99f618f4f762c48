# Real models, numbers end to end: torchvision classifiers (random weights, seeded)
# exported to ONNX backend-test folders in the build tree (realmodels/NAME, made
# once by tests/realmodels/export.py), with PyTorch's outputs as the reference;
# `convgraph conform` (fast kernels) and `convgraph run --kernels reference` must
# both match them at atol 1e-4, rtol 1e-3. Beyond the ResNet/MobileNet basics:
# efficientnet_b0 (SiLU, squeeze-excitation), mobilenet_v3_small (HardSwish written
# as HardSigmoid + Mul), densenet121 (BatchNorm + Relu before convs, concats),
# shufflenet_v2_x0_5 (channel shuffle and Slice-split branches).
foreach(model resnet18 mobilenet_v2 squeezenet1_1 googlenet efficientnet_b0 mobilenet_v3_small densenet121
              shufflenet_v2_x0_5)
  add_test(NAME realmodels/${model}
           COMMAND ${CG_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/realmodels/check_model.py
                   $<TARGET_FILE:convgraph> ${CMAKE_BINARY_DIR}/realmodels ${model})
  # Exit status 77: python3 torch/torchvision missing; reported as skipped.
  set_tests_properties(realmodels/${model} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
endforeach()
