# dory: build, test and tooling. `make` builds build/dory; `make deps` installs
# what building and testing need (Debian packages, the test tools' virtualenv);
# `make test` runs everything CI runs except `make test-slow`. Sources are found
# by globbing, so a new file in src/, kernels/, runtime/ or tests/unit/ needs no
# edit here.
#
# Fragments (mk/*.mk) bring optional parts: fuzzers, QEMU kernel tests,
# benchmarks. Every variable they may use is defined above the include line;
# a fragment defines its own variables with its own prefix and never reads
# another fragment's, so the order in which they are read does not matter.
# They may append steps to TEST_TARGETS (run by `make test`) and SLOW_TARGETS
# (run by `make test-slow`), which are only read in recipes.

CC      ?= gcc
CLANG   ?= clang
PYTHON  ?= python3
BUILD   ?= build
VENV    ?= .venv
# One spelling per file: BUILD=$(pwd)/build and BUILD=build name the same
# targets (and the same dependency files).
override BUILD := $(patsubst $(CURDIR)/%,%,$(abspath $(BUILD)))

.DEFAULT_GOAL := all

WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-missing-field-initializers
# fp-contract=off: the FLOAT requant scheme must round exactly as fp32 does.
BASEFLAGS = -g -ffp-contract=off -D_POSIX_C_SOURCE=200809L
CFLAGS_C11 = -std=c11 $(WARN) $(BASEFLAGS)
# runtime/ and kernels/ are copied into generated applications: C99, pedantic.
CFLAGS_C99 = -std=c99 -pedantic $(WARN) $(BASEFLAGS)
OPT      ?= -O2
ASANFLAGS = -O1 -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer \
            -fno-sanitize-recover=all -DDORY_DEBUG=1

# ---- sources ------------------------------------------------------------------
# The ONNX frontend's protobuf code: protoc-c compiles the schema shipped by
# libonnx-dev into $(BUILD)/gen/ at build time (for every BUILD directory and
# a clean clone). The generated code is never committed and never edited.
ONNX_PROTO ?= /usr/include/onnx/onnx.proto
GEN_DIR     = $(BUILD)/gen
ONNX_GEN_C  = $(GEN_DIR)/onnx.pb-c.c
ONNX_GEN_H  = $(GEN_DIR)/onnx.pb-c.h
# kernels/ and runtime/ travel inside the binary (src/codegen/embedded.h).
EMBED_SRC  := $(sort $(shell find kernels runtime -name '*.[ch]' -o -name '*.mk' -o -name '*.ld' -o -name '*.S' \
                2>/dev/null))
EMBEDDED_C  = $(GEN_DIR)/embedded.c

# The compiler: src/ (C11) plus the kernels, whose *_scratch_bytes companions
# the planner calls. Only src/ sees the generated headers and cJSON.
LIB_SRC    := $(filter-out src/main.c,$(shell find src -name '*.c' | sort)) $(ONNX_GEN_C) \
              $(EMBEDDED_C)
KERNEL_SRC := $(shell find kernels -name '*.c' 2>/dev/null | sort)
# runtime/*.c is shared by every target; runtime/<target>/ holds one HAL each.
# The host's is linked into the tests, not into the compiler.
HOST_RT_SRC := $(sort $(wildcard runtime/*.c runtime/host/*.c))
TEST_SRC   := $(shell find tests/unit -name '*.c' | sort)

CPPFLAGS    = -Isrc -Ikernels -Iruntime -I$(GEN_DIR) -I/usr/include/cjson
RT_CPPFLAGS = -Ikernels -Iruntime
LDLIBS      = -lm -lprotobuf-c -lcjson
TEST_LDLIBS = $(LDLIBS) -lpthread

# ---- variants -------------------------------------------------------------------
# $(BUILD)/<variant>/<file>.o is <file>.c compiled by CC_<variant> with
# FLAGS_<variant>: release, the sanitizers with $(CC) (gcc), the sanitizers
# with clang.
VARIANTS         := rel asan asan-clang
CC_rel            = $(CC)
CC_asan           = $(CC)
CC_asan-clang     = $(CLANG)
FLAGS_rel         = $(OPT)
FLAGS_asan        = $(ASANFLAGS)
FLAGS_asan-clang  = $(ASANFLAGS)
# where each variant's dory and unit_tests go
BIN_rel           = $(BUILD)
BIN_asan          = $(BUILD)/asan
BIN_asan-clang    = $(BUILD)/asan-clang

# $(call objs,variant,sources)
objs = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))
# $(call lib,variant): the compiler's objects; $(call testlib,variant): and the host HAL
lib     = $(call objs,$(1),$(LIB_SRC) $(KERNEL_SRC))
testlib = $(call lib,$(1)) $(call objs,$(1),$(HOST_RT_SRC))
REL_LIB  = $(call lib,rel)
TEST_LIB = $(call testlib,rel)

# Steps `make test` and `make test-slow` run last; fragments append.
TEST_TARGETS :=
SLOW_TARGETS :=

.PHONY: all test test-slow unit unit-slow asan asan-clang pytest venv deps lint format clean \
        example golden
all: $(BUILD)/dory

-include $(wildcard mk/*.mk)

# ---- compile rules (kernels/ and runtime/ as C99 with their own headers only,
# the rest as C11) ---------------------------------------------------------------
define variant_rules
$(BUILD)/$(1)/kernels/%.o: kernels/%.c
	@mkdir -p $$(dir $$@)
	$$(CC_$(1)) $$(CFLAGS_C99) $$(FLAGS_$(1)) $$(RT_CPPFLAGS) -MMD -MP -c $$< -o $$@
$(BUILD)/$(1)/runtime/%.o: runtime/%.c
	@mkdir -p $$(dir $$@)
	$$(CC_$(1)) $$(CFLAGS_C99) $$(FLAGS_$(1)) $$(RT_CPPFLAGS) -MMD -MP -c $$< -o $$@
$(BUILD)/$(1)/%.o: %.c | $$(ONNX_GEN_H)
	@mkdir -p $$(dir $$@)
	$$(CC_$(1)) $$(CFLAGS_C11) $$(FLAGS_$(1)) $$(CPPFLAGS) -MMD -MP -c $$< -o $$@
$(BIN_$(1))/dory: $$(call objs,$(1),src/main.c) $$(call lib,$(1))
	$$(CC_$(1)) $$(FLAGS_$(1)) -o $$@ $$^ $$(LDLIBS)
$(BIN_$(1))/unit_tests: $$(call objs,$(1),$$(TEST_SRC)) $$(call testlib,$(1))
	$$(CC_$(1)) $$(FLAGS_$(1)) -o $$@ $$^ $$(TEST_LDLIBS)
endef
$(foreach v,$(VARIANTS),$(eval $(call variant_rules,$(v))))

# The schema is proto2 with package onnx, which protoc-c accepts unchanged;
# it is copied so the generated #include names the local file.
$(ONNX_GEN_C) $(ONNX_GEN_H) &: $(ONNX_PROTO)
	@mkdir -p $(GEN_DIR)
	cp $(ONNX_PROTO) $(GEN_DIR)/onnx.proto
	cd $(GEN_DIR) && protoc-c --c_out=. onnx.proto

$(BUILD)/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_C11) -O1 -o $@ $<
$(EMBEDDED_C): $(BUILD)/embed $(EMBED_SRC)
	@mkdir -p $(dir $@)
	$(BUILD)/embed $@ $(EMBED_SRC)

# ---- test tools -------------------------------------------------------------------
$(BUILD)/rq_eval: $(call objs,rel,tests/tools/rq_eval.c) $(REL_LIB)
	$(CC) $(OPT) -o $@ $^ $(LDLIBS)
$(BUILD)/dump_graphs: $(call objs,rel,tests/tools/dump_graphs.c tests/unit/graphs.c) $(REL_LIB)
	$(CC) $(OPT) -o $@ $^ $(LDLIBS)

# The kernels and runtime as a generated application compiles them (its
# `make rtlib`), plain and with sanitizers, once per dory binary: pytest links
# them into every application it builds (RT_LIB=...). Built as a user would,
# without this make's variables.
RT_LIBS = $(BUILD)/rtlib/libdory_rt.a $(BUILD)/rtlib/libdory_rt_san.a
$(BUILD)/rtlib/libdory_rt.a: RT_SAN = 0
$(BUILD)/rtlib/libdory_rt_san.a: RT_SAN = 1
$(RT_LIBS): $(BUILD)/dory examples/kws_tiny.dory
	rm -rf $(basename $@)
	$(BUILD)/dory deploy examples/kws_tiny.dory -t gap8 -o $(basename $@) > /dev/null
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C $(basename $@) rtlib SAN=$(RT_SAN)
	mv $(basename $@)/libdory_rt.a $@
	rm -rf $(basename $@)

# ---- tests --------------------------------------------------------------------
# unit_tests runs every test but the slow ones (SLOW_TEST in tests/unit/
# harness.h), which `make test-slow` runs once, in the release build. The
# sanitizer builds: gcc's (`make asan`; `make asan CC=clang` works too) and
# clang's (`make asan-clang`), both in `make test`.
unit: $(BUILD)/unit_tests
	$(BUILD)/unit_tests
unit-slow: $(BUILD)/unit_tests
	$(BUILD)/unit_tests --slow
asan: $(BUILD)/asan/unit_tests $(BUILD)/asan/dory
	$(BUILD)/asan/unit_tests
asan-clang: $(BUILD)/asan-clang/unit_tests
	$(BUILD)/asan-clang/unit_tests

# The Debian packages (tools/install-deps.sh: apt-get, only what is missing)
# and the test tools' virtualenv (PyPI, pinned in tests/requirements.txt).
# Nothing else installs anything; the virtualenv is remade only when
# tests/requirements.txt changes.
deps:
	@sh tools/install-deps.sh
	@$(MAKE) --no-print-directory venv

$(VENV)/.stamp: tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@
venv: $(VENV)/.stamp

# JOBS: parallel compile jobs and pytest workers (pytest-xdist) of `make
# test`. PYTEST_ARGS adds pytest options. -rs prints the reason of every
# skip; the 15 slowest tests are listed.
JOBS ?= 2
PYTEST_DEPS = $(VENV)/.stamp $(BUILD)/dory $(BUILD)/asan/dory $(BUILD)/rq_eval \
              $(BUILD)/dump_graphs $(RT_LIBS)
pytest: $(PYTEST_DEPS)
	$(VENV)/bin/python -m pytest -q -rs --durations=15 -n $(JOBS) $(PYTEST_ARGS) tests/py

test:
	$(MAKE) lint
	$(MAKE) -j$(JOBS) all $(BUILD)/unit_tests $(BUILD)/asan/unit_tests \
	    $(BUILD)/asan-clang/unit_tests $(PYTEST_DEPS)
	$(MAKE) unit
	$(MAKE) asan
	$(MAKE) asan-clang
	$(MAKE) pytest
	$(if $(strip $(TEST_TARGETS)),$(MAKE) $(TEST_TARGETS))

# Checks too slow for every `make test` that CI still runs (.ci/run).
test-slow:
	$(MAKE) unit-slow $(SLOW_TARGETS)

# Regenerates the golden files of the generated C (tests/golden/), on purpose.
golden: $(VENV)/.stamp $(BUILD)/dory
	DORY_UPDATE_GOLDEN=1 $(VENV)/bin/python -m pytest -q tests/py/test_codegen_golden.py

# ---- the bundled example ------------------------------------------------------
# Plans the example for GAP8's memories, runs it through the reference
# interpreter, deploys it, builds the application for the host and runs it
# (the last table is the application's own per-layer verification), then adds
# that run to the deployment report, $(EXAMPLE_DIR)/app/report.html.
EXAMPLE ?= examples/kws_dscnn.onnx
EXAMPLE_DIR = $(BUILD)/example
example:
	$(MAKE) -s all
	$(BUILD)/dory inspect $(EXAMPLE) --target gap8
	@echo
	@echo "== reference interpreter: per-layer outputs in $(EXAMPLE_DIR)/dump"
	$(BUILD)/dory run $(EXAMPLE) --random 1 --dump $(EXAMPLE_DIR)/dump -o $(EXAMPLE_DIR)/output.txt
	@echo "output (logits):" $$(cat $(EXAMPLE_DIR)/output.txt)
	@echo
	@echo "== deploy for gap8, build and run on the host (L1/L2/L3 as gap8-sized arenas)"
	$(BUILD)/dory deploy $(EXAMPLE) --target gap8 --random 1 -o $(EXAMPLE_DIR)/app
	$(MAKE) -s -C $(EXAMPLE_DIR)/app run > $(EXAMPLE_DIR)/run.txt || { cat $(EXAMPLE_DIR)/run.txt; exit 1; }
	@cat $(EXAMPLE_DIR)/run.txt
	@echo
	@echo "== the deployment report, with the host run's times beside the modeled cycles"
	$(BUILD)/dory report $(EXAMPLE_DIR)/app $(EXAMPLE_DIR)/run.txt

# ---- style --------------------------------------------------------------------
FORMAT_SRC = $(shell find src kernels runtime tests/unit tests/tools tests/fuzz tests/qemu tests/pmsis bench tools \
             -name '*.[ch]' | sort)
lint:
	clang-format --dry-run -Werror $(FORMAT_SRC)
format:
	clang-format -i $(FORMAT_SRC)

clean:
	rm -rf $(BUILD)

# A goal named by its absolute path is the file of the relative name.
$(CURDIR)/%: % ;

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
