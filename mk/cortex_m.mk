# mk/cortex_m.mk: bare-metal Cortex-M builds of the kernel library and the
# Cortex-M HAL, run under qemu-system-arm (mps2 boards, -icount shift=10,
# semihosting, newlib; start-up and memory map from runtime/cortex-m/):
#   make test-cm-counter  the instruction counter against loops of known
#                         length, run twice: identical output (make test)
#   make test-cm-kernels  the kernel tests (tests/qemu/kernel_tests_main.c) on
#                         the Cortex-M4 with the Arm DSP path (make test)
#   make bench-cm         bench/bench_kernels.c on rv32imc, Cortex-M4 and M7
#                         with and without the DSP path, then the issue-13
#                         table (bench/cm_table.py); each run twice, compared
#   make bench-cm-layers  per-layer instructions of the example and DS-CNN
#                         (../shared) on cortex-m4/m7 (bench/cm_layers.py)
# Nothing here runs on the host.

CM_CC      ?= arm-none-eabi-gcc
QEMU_ARM   ?= qemu-system-arm
CM_M4      = -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
CM_M7      = -mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16
CM_TFLAGS  = -O3 -std=c99 -Wall -Wextra -Werror -g -ffp-contract=off -Ikernels -Iruntime \
             -Iruntime/cortex-m -Itests/unit --specs=rdimon.specs -nostartfiles \
             -Truntime/cortex-m/mps2.ld
CM_TRT     = runtime/cortex-m/dory_cm.c runtime/cortex-m/dory_hal_cortex_m.c
CM_TDEPS   = $(CM_TRT) runtime/cortex-m/dory_cm.h runtime/cortex-m/mps2.ld mk/cortex_m.mk
CM_QEMU    = timeout 600 $(QEMU_ARM) -icount shift=10 -semihosting-config enable=on,target=native \
             -display none -monitor none -serial none
CM_KSRC   := $(sort $(wildcard kernels/*.c)) tests/unit/test_kernels_case.c \
             tests/unit/test_kernels_ref.c
CM_KDEPS  := $(CM_KSRC) $(wildcard kernels/*.h) tests/unit/test_kernels_case.h \
             tests/unit/test_kernels_ref.h

$(BUILD)/cm/counter_m4.elf: tests/qemu/cm_counter_main.c $(CM_TDEPS)
	@mkdir -p $(dir $@)
	$(CM_CC) $(CM_M4) $(CM_TFLAGS) -o $@ $< $(CM_TRT)

$(BUILD)/cm/kernel_tests_m4.elf: tests/qemu/kernel_tests_main.c $(CM_KDEPS) $(CM_TDEPS)
	@mkdir -p $(dir $@)
	$(CM_CC) $(CM_M4) $(CM_TFLAGS) -o $@ $< $(CM_KSRC) $(CM_TRT) -lm

CM_BENCH_DEPS = bench/bench_kernels.c $(CM_KDEPS) $(CM_TDEPS)
$(BUILD)/cm/bench_m4.elf $(BUILD)/cm/bench_m4-dsp.elf: CM_BARCH = $(CM_M4)
$(BUILD)/cm/bench_m7.elf $(BUILD)/cm/bench_m7-dsp.elf: CM_BARCH = $(CM_M7)
$(BUILD)/cm/bench_m4.elf $(BUILD)/cm/bench_m7.elf: CM_BDSP = -DDORY_NO_DSP
$(BUILD)/cm/bench_%.elf: $(CM_BENCH_DEPS)
	@mkdir -p $(dir $@)
	$(CM_CC) $(CM_BARCH) $(CM_BDSP) $(CM_TFLAGS) -o $@ $< $(CM_KSRC) $(CM_TRT) -lm
CM_BOARD_m4 = mps2-an386
CM_BOARD_m7 = mps2-an500
$(BUILD)/cm/bench_%.txt: $(BUILD)/cm/bench_%.elf
	$(CM_QEMU) -M $(CM_BOARD_$(firstword $(subst -, ,$*))) -kernel $< > $@ 2>&1 || \
	    { cat $@; exit 1; }
	$(CM_QEMU) -M $(CM_BOARD_$(firstword $(subst -, ,$*))) -kernel $< > $@.2 2>&1
	@cmp $@ $@.2 && rm $@.2
$(BUILD)/cm/bench_rv32.txt: $(BUILD)/rv32/bench_kernels.elf
	@mkdir -p $(dir $@)
	$(QEMU_RUN) $< > $@ 2>&1 || { cat $@; exit 1; }
CM_BENCH_RUNS = rv32 m4 m4-dsp m7 m7-dsp
bench-cm: $(foreach r,$(CM_BENCH_RUNS),$(BUILD)/cm/bench_$(r).txt)
	@cat $(BUILD)/cm/bench_m4-dsp.txt
	$(PYTHON) bench/cm_table.py $(foreach r,$(CM_BENCH_RUNS),$(r)=$(BUILD)/cm/bench_$(r).txt)

CM_LAYER_MODELS = examples/kws_dscnn.onnx \
    ../shared/models/dory/dscnn_test/model_int.onnx:../shared/models/dory/dscnn_test/input.txt
bench-cm-layers: $(BUILD)/dory
	@mkdir -p $(BUILD)/cm/layers
	$(PYTHON) bench/cm_layers.py $(BUILD)/dory $(BUILD)/cm/layers $(CM_LAYER_MODELS)

.PHONY: test-cm-counter test-cm-kernels bench-cm bench-cm-layers
test-cm-counter: $(BUILD)/cm/counter_m4.elf
	$(CM_QEMU) -M mps2-an386 -kernel $< > $(BUILD)/cm/counter_run1.txt 2>&1 || \
	    { cat $(BUILD)/cm/counter_run1.txt; exit 1; }
	$(CM_QEMU) -M mps2-an386 -kernel $< > $(BUILD)/cm/counter_run2.txt 2>&1
	@cat $(BUILD)/cm/counter_run1.txt
	@cmp $(BUILD)/cm/counter_run1.txt $(BUILD)/cm/counter_run2.txt && \
	    echo "test-cm-counter: two runs printed identical counts"

test-cm-kernels: $(BUILD)/cm/kernel_tests_m4.elf
	$(CM_QEMU) -M mps2-an386 -kernel $< > $(BUILD)/cm/kernel_tests.txt 2>&1 || \
	    { cat $(BUILD)/cm/kernel_tests.txt; exit 1; }
	@tail -1 $(BUILD)/cm/kernel_tests.txt
	@for i in smlad smmulr; do arm-none-eabi-objdump -d $< | grep -q "$$i" || \
	    { echo "test-cm-kernels: no $$i in the Cortex-M4 build" >&2; exit 1; }; done
	@echo "test-cm-kernels: the DSP rows ran with SMLAD and SMMULR"

TEST_TARGETS += test-cm-counter test-cm-kernels
