# mk/onnx.mk: the ONNX frontend's protobuf code. protoc-c compiles the schema
# shipped by libonnx-dev into $(BUILD)/gen/ at build time (works for every
# BUILD directory, including the asan variant, and for a clean clone). The
# generated code is never committed and never edited.

ONNX_PROTO ?= /usr/include/onnx/onnx.proto
ONNX_GEN_C := $(BUILD)/gen/onnx.pb-c.c
ONNX_GEN_H := $(BUILD)/gen/onnx.pb-c.h

GEN_HEADERS    += $(ONNX_GEN_H)
EXTRA_LIB_SRC  += $(ONNX_GEN_C)
EXTRA_CPPFLAGS += -I$(BUILD)/gen
EXTRA_LDLIBS   += -lprotobuf-c

# The schema is proto2 with package onnx, which protoc-c accepts unchanged;
# it is copied so the generated #include names the local file.
$(ONNX_GEN_C) $(ONNX_GEN_H) &: $(ONNX_PROTO)
	@mkdir -p $(BUILD)/gen
	cp $(ONNX_PROTO) $(BUILD)/gen/onnx.proto
	cd $(BUILD)/gen && protoc-c --c_out=. onnx.proto
