# The two entry points of README.md:
#   make run   install dependencies, build, classify the demo photos with the default model
#   make test  install dependencies, build, run the whole test suite (CTest)
# INR_DATA_DIR overrides the data directory (default: ../shared/data beside this checkout).
BUILD ?= build
JOBS ?= $(shell nproc)
DATA ?= $(or $(INR_DATA_DIR),$(abspath ../shared/data))
MODEL ?= $(DATA)/models/mobilenetv2-12-int8-dequant-fp32.onnx
PHOTOS = $(DATA)/images/dog.jpg $(DATA)/images/cat.png $(DATA)/images/grace_hopper.jpg

.PHONY: deps build run test test-asan clean

deps:
	./scripts/install-deps.sh

build: deps
	cmake --preset release >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@for img in $(PHOTOS); do ./$(BUILD)/inr classify -m $(MODEL) -i $$img --labels $(DATA)/labels/imagenet_classes.txt -k 5 || exit 1; done

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

# Unit and op tests under AddressSanitizer + UBSan.
test-asan: deps
	cmake --preset asan >/dev/null
	cmake --build build-asan -j $(JOBS) --target inr_tests_unit inr_tests_ops
	cd build-asan && ctest --output-on-failure -j $(JOBS) -L asan

clean:
	rm -rf $(BUILD) build-asan
