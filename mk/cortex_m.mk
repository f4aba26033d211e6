# mk/cortex_m.mk: bare-metal Cortex-M builds of the kernel library and the
# Cortex-M HAL, run under qemu-system-arm (mps2 boards, -icount shift=10,
# semihosting, newlib; start-up and memory map from runtime/cortex-m/):
#   make test-cm-counter  the instruction counter against loops of known
#                         length, run twice: identical output (make test)
#   make test-cm-kernels  the kernel tests (tests/qemu/kernel_tests_main.c) on
#                         the Cortex-M4 with the Arm DSP path (make test)
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

.PHONY: test-cm-counter test-cm-kernels
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

TEST_TARGETS += test-cm-counter test-cm-kernels
