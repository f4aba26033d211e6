# mk/fuzz.mk: `make fuzz` builds every tests/fuzz/fuzz_*.c as a libFuzzer
# binary (clang, ASan + UBSan) linked with the compiler's library sources and
# the generated protobuf code, seeds its corpus at build time, and runs each
# for FUZZ_SECONDS with memory and per-input time limits. A crash, leak, hang
# or sanitizer report fails the target.
#
# Seeds for fuzz_NAME come from tests/fuzz/NAME_seeds.py (run with the venv's
# python, argument: the corpus directory) and/or files in tests/fuzz/seeds/NAME/.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_RSS_MB  ?= 2048
FUZZ_TIMEOUT ?= 10
FUZZ_FLAGS    = -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
                -fno-sanitize-recover=all -ffp-contract=off -D_POSIX_C_SOURCE=200809L \
                -DDORY_DEBUG=1 -Wall -Wextra -Wno-missing-field-initializers
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
# The targets fuzz model loading: frontends, IR, passes and their plumbing
# (planner and code generator are not linked in).
FUZZ_DIRS    ?= src/frontend src/ir src/passes src/util
FUZZ_LIB_SRC := $(shell find $(FUZZ_DIRS) -name '*.c' | sort) $(ONNX_GEN_C)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_SRC) | $(ONNX_GEN_H)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(CPPFLAGS) -o $@ $< $(FUZZ_LIB_SRC) $(LDLIBS)

# Corpus: generated seeds plus whatever earlier runs found.
$(BUILD)/fuzz/corpus_%/.seeded: $(VENV)/.stamp
	@mkdir -p $(dir $@)
	@if [ -f tests/fuzz/$*_seeds.py ]; then $(VENV)/bin/python tests/fuzz/$*_seeds.py $(dir $@); fi
	@if [ -d tests/fuzz/seeds/$* ]; then cp tests/fuzz/seeds/$*/* $(dir $@); fi
	@touch $@

.PHONY: fuzz
fuzz: $(FUZZ_BINS) $(patsubst $(BUILD)/fuzz/fuzz_%,$(BUILD)/fuzz/corpus_%/.seeded,$(FUZZ_BINS))
	@set -e; for f in $(FUZZ_BINS); do \
	    n=$${f##*/fuzz_}; echo "fuzz: $$f for $(FUZZ_SECONDS) s"; \
	    mkdir -p $(BUILD)/fuzz/artifacts_$$n; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=$(FUZZ_RSS_MB) \
	        -timeout=$(FUZZ_TIMEOUT) -max_len=262144 -print_final_stats=1 \
	        -artifact_prefix=$(BUILD)/fuzz/artifacts_$$n/ $(BUILD)/fuzz/corpus_$$n; \
	done
