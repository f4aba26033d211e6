# mk/fuzz.mk: `make fuzz` builds every tests/fuzz/fuzz_*.c as a libFuzzer
# binary (clang, ASan + UBSan) linked with the compiler's library sources and
# the generated protobuf code, seeds its corpus at build time, and runs each
# for FUZZ_SECONDS with memory and per-input time limits. A crash, leak, hang
# or sanitizer report fails the target.
#
# Seeds for fuzz_NAME come from tests/fuzz/NAME_seeds.py (run with the venv's
# python, argument: the corpus directory) and/or files in tests/fuzz/seeds/NAME/
# and the folders FUZZ_SEEDS_NAME lists.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_RSS_MB  ?= 2048
FUZZ_TIMEOUT ?= 10
FUZZ_FLAGS    = -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
                -fno-sanitize-recover=all -ffp-contract=off -D_POSIX_C_SOURCE=200809L \
                -DDORY_DEBUG=1 -Wall -Wextra -Wno-missing-field-initializers
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
# Every target links the whole compiler (frontends, IR, passes, planner, code
# generator with the embedded runtime) and the kernels the planner calls.
FUZZ_LIB_SRC := $(LIB_SRC) $(KERNEL_SRC)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_LIB_SRC) | $(ONNX_GEN_H)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(CPPFLAGS) -o $@ $< $(FUZZ_LIB_SRC) $(LDLIBS)

# The whole-pipeline target starts from the text parser's seeds and the
# bundled graphs.
FUZZ_SEEDS_pipeline = tests/fuzz/seeds/text/*.dory tests/ir/*.dory examples/kws_tiny.dory

# Corpus: generated seeds plus whatever earlier runs found.
$(BUILD)/fuzz/corpus_%/.seeded: $(VENV)/.stamp
	@mkdir -p $(dir $@)
	@if [ -f tests/fuzz/$*_seeds.py ]; then $(VENV)/bin/python tests/fuzz/$*_seeds.py $(dir $@); fi
	@if [ -d tests/fuzz/seeds/$* ]; then cp tests/fuzz/seeds/$*/* $(dir $@); fi
	@for f in $(FUZZ_SEEDS_$*); do cp $$f $(dir $@)$$(echo $$f | tr / _); done
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
