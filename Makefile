# dory: build, test and tooling. `make` builds build/dory; `make test` runs
# everything CI runs. Sources are found by globbing, so a new file in src/,
# kernels/, runtime/ or tests/unit/ needs no edit here; optional parts (ONNX
# protobuf code, benchmarks) bring their rules in mk/*.mk fragments.

CC      ?= gcc
PYTHON  ?= python3
BUILD   ?= build
VENV    ?= .venv

WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-missing-field-initializers
# fp-contract=off: the FLOAT requant scheme must round exactly as fp32 does.
BASEFLAGS = -g -ffp-contract=off -D_POSIX_C_SOURCE=200809L
CFLAGS_C11 = -std=c11 $(WARN) $(BASEFLAGS)
# runtime/ and kernels/ are copied into generated applications: C99, pedantic.
CFLAGS_C99 = -std=c99 -pedantic $(WARN) $(BASEFLAGS)
OPT      ?= -O2
ASANFLAGS = -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all -DDORY_DEBUG=1

# Fragments append to these.
EXTRA_CPPFLAGS :=
EXTRA_LDLIBS   :=
EXTRA_LIB_SRC  :=
GEN_HEADERS    :=
TEST_DEPS      :=
TEST_TARGETS   :=   # extra steps `make test` runs after pytest (e.g. qemu)
-include $(sort $(wildcard mk/*.mk))

CPPFLAGS = -Isrc -Ikernels -Iruntime $(EXTRA_CPPFLAGS)
LDLIBS   = -lm -lpthread $(EXTRA_LDLIBS)

# kernels/ and runtime/ travel inside the binary (src/codegen/embedded.h).
EMBED_SRC  := $(sort $(shell find kernels runtime -name '*.[ch]' -o -name '*.mk' 2>/dev/null))
EMBEDDED_C := $(BUILD)/gen/embedded.c
LIB_SRC    := $(filter-out src/main.c,$(shell find src -name '*.c' | sort)) $(EXTRA_LIB_SRC) \
              $(EMBEDDED_C)
KERNEL_SRC := $(shell find kernels -name '*.c' 2>/dev/null | sort)
# runtime/*.c is shared by every target; runtime/<target>/ holds one HAL each,
# and the host's is the one linked into the compiler's tests.
KERNEL_SRC += $(sort $(wildcard runtime/*.c runtime/host/*.c))
TEST_SRC   := $(shell find tests/unit -name '*.c' | sort)

# $(call objs,variant,sources)
objs = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))

REL_LIB  := $(call objs,rel,$(LIB_SRC) $(KERNEL_SRC))
ASAN_LIB := $(call objs,asan,$(LIB_SRC) $(KERNEL_SRC))

.PHONY: all test unit asan pytest venv deps lint format fuzz clean example golden
all: $(BUILD)/dory

# ---- compile rules (kernels/ and runtime/ as C99, the rest as C11) ----------
$(BUILD)/rel/kernels/%.o: kernels/%.c | $(GEN_HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_C99) $(OPT) $(CPPFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/asan/kernels/%.o: kernels/%.c | $(GEN_HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_C99) $(ASANFLAGS) $(CPPFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/rel/runtime/%.o: runtime/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_C99) $(OPT) $(CPPFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/asan/runtime/%.o: runtime/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_C99) $(ASANFLAGS) $(CPPFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/rel/%.o: %.c | $(GEN_HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_C11) $(OPT) $(CPPFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/asan/%.o: %.c | $(GEN_HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_C11) $(ASANFLAGS) $(CPPFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -o $@ $<
$(EMBEDDED_C): $(BUILD)/embed $(EMBED_SRC)
	@mkdir -p $(dir $@)
	$(BUILD)/embed $@ $(EMBED_SRC)

# ---- binaries -----------------------------------------------------------------
$(BUILD)/dory: $(call objs,rel,src/main.c) $(REL_LIB)
	$(CC) $(OPT) -o $@ $^ $(LDLIBS)
$(BUILD)/asan/dory: $(call objs,asan,src/main.c) $(ASAN_LIB)
	$(CC) $(ASANFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/unit_tests: $(call objs,rel,$(TEST_SRC)) $(REL_LIB)
	$(CC) $(OPT) -o $@ $^ $(LDLIBS)
$(BUILD)/asan/unit_tests: $(call objs,asan,$(TEST_SRC)) $(ASAN_LIB)
	$(CC) $(ASANFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/rq_eval: $(call objs,rel,tests/tools/rq_eval.c) $(REL_LIB)
	$(CC) $(OPT) -o $@ $^ $(LDLIBS)
$(BUILD)/dump_graphs: $(call objs,rel,tests/tools/dump_graphs.c tests/unit/graphs.c) $(REL_LIB)
	$(CC) $(OPT) -o $@ $^ $(LDLIBS)

# ---- tests --------------------------------------------------------------------
unit: $(BUILD)/unit_tests
	$(BUILD)/unit_tests
asan: $(BUILD)/asan/unit_tests $(BUILD)/asan/dory
	$(BUILD)/asan/unit_tests

$(VENV)/.stamp: tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@
venv: $(VENV)/.stamp

deps:
	@sh tools/install-deps.sh

pytest: $(VENV)/.stamp $(BUILD)/dory $(BUILD)/asan/dory $(BUILD)/rq_eval $(BUILD)/dump_graphs $(TEST_DEPS)
	$(VENV)/bin/python -m pytest -q tests/py

test: deps
	$(MAKE) lint
	$(MAKE) all $(BUILD)/asan/dory
	$(MAKE) unit
	$(MAKE) asan
	$(MAKE) pytest
	$(if $(strip $(TEST_TARGETS)),$(MAKE) $(TEST_TARGETS))

# Regenerates the golden files of the generated C (tests/golden/), on purpose.
golden: $(VENV)/.stamp $(BUILD)/dory
	DORY_UPDATE_GOLDEN=1 $(VENV)/bin/python -m pytest -q tests/py/test_codegen_golden.py

# ---- the bundled example ------------------------------------------------------
# Plans the example for GAP8's memories, runs it through the reference
# interpreter, deploys it, builds the application for the host and runs it:
# the last table is the application's own per-layer verification.
EXAMPLE ?= examples/kws_dscnn.onnx
EXAMPLE_DIR = $(BUILD)/example
example: deps
	$(MAKE) -s all
	$(BUILD)/dory inspect $(EXAMPLE) --target gap8
	@echo
	@echo "== reference interpreter: per-layer outputs in $(EXAMPLE_DIR)/dump"
	$(BUILD)/dory run $(EXAMPLE) --random 1 --dump $(EXAMPLE_DIR)/dump -o $(EXAMPLE_DIR)/output.txt
	@echo "output (logits):" $$(cat $(EXAMPLE_DIR)/output.txt)
	@echo
	@echo "== deploy for gap8, build and run on the host (L1/L2/L3 as gap8-sized arenas)"
	$(BUILD)/dory deploy $(EXAMPLE) --target gap8 --random 1 -o $(EXAMPLE_DIR)/app
	$(MAKE) -s -C $(EXAMPLE_DIR)/app run

# ---- style --------------------------------------------------------------------
FORMAT_SRC = $(shell find src kernels runtime tests/unit tests/tools tests/fuzz tests/qemu bench tools \
             -name '*.[ch]' | sort)
lint:
	clang-format --dry-run -Werror $(FORMAT_SRC)
format:
	clang-format -i $(FORMAT_SRC)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
