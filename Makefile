# Thin wrapper: `make demo` and `make test` install what is missing, configure,
# build and run. BUILD and SANITIZE select the build tree and sanitizers.
BUILD    ?= build
SANITIZE ?= 0
JOBS     ?= $(shell nproc)
CONVGRAPH = $(BUILD)/convgraph

BUILD_DEPS = cmake make gcc pkg-config libprotobuf-c-dev protobuf-c-compiler \
             libonnx-dev libyaml-dev libcmocka-dev libdnnl-dev
DEMO_DEPS  = $(BUILD_DEPS) graphviz
TEST_DEPS  = $(BUILD_DEPS) graphviz libonnx-testdata python3 python3-numpy python3-onnx \
             python3-torch python3-torchvision nodejs:node npm:npm

.PHONY: all deps demo-deps test-deps configure build demo test bench readme-ops clean

all: build

deps:
	@tools/sh/install-deps.sh $(BUILD_DEPS)

demo-deps:
	@tools/sh/install-deps.sh $(DEMO_DEPS)

test-deps:
	@tools/sh/install-deps.sh $(TEST_DEPS)

configure:
	@cmake -S . -B $(BUILD) -DCG_SANITIZE=$(if $(filter 1,$(SANITIZE)),ON,OFF) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

demo: demo-deps
	@$(MAKE) --no-print-directory build
	@echo; echo '$$ convgraph shapes models/seed_conv.yaml'
	@$(CONVGRAPH) shapes models/seed_conv.yaml
	@echo; echo '$$ convgraph shapes models/small_cnn.yaml --input-shape image:1,3,32,32'
	@$(CONVGRAPH) shapes models/small_cnn.yaml --input-shape image:1,3,32,32
	@echo; echo '$$ convgraph run models/small_cnn.yaml --input-shape image:1,3,32,32'
	@$(CONVGRAPH) run models/small_cnn.yaml --input-shape image:1,3,32,32
	@mkdir -p $(BUILD)/demo
	@echo; echo '$$ convgraph convert models/seed_conv.yaml -o $(BUILD)/demo/seed_conv.onnx --explicit-pads'
	@$(CONVGRAPH) convert models/seed_conv.yaml -o $(BUILD)/demo/seed_conv.onnx --explicit-pads
	@echo; echo '$$ convgraph dot models/seed_conv.yaml -o $(BUILD)/demo/seed_conv.svg'
	@$(CONVGRAPH) dot models/seed_conv.yaml -o $(BUILD)/demo/seed_conv.svg
	@echo "wrote $(BUILD)/demo/seed_conv.svg"

test: test-deps
	@$(MAKE) --no-print-directory build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: test-deps
	@$(MAKE) --no-print-directory build
	@CONVGRAPH=$(CONVGRAPH) bench/run.sh

readme-ops: build
	@tools/sh/readme-ops.sh $(CONVGRAPH) README.md --write

clean:
	rm -rf $(BUILD)
