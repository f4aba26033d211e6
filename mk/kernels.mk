# mk/kernels.mk: bare-metal rv32imc builds of the kernel library, run under
# QEMU (`-icount shift=0`, semihosting, picolibc):
#   make test-qemu       kernel tests vs the kref loops (part of `make test`)
#   make bench-kernels   instructions per layer shape, kernels vs the baseline
#                        loop (run twice: the counts must be identical)
# Everything is compiled -O3 for one core; nothing here runs on the host.

RV_CC     ?= riscv64-unknown-elf-gcc
RV_OBJDUMP ?= riscv64-unknown-elf-objdump
QEMU_RV32 ?= qemu-system-riscv32
RV_ARCH   ?= -march=rv32imc -mabi=ilp32
RV_CFLAGS  = $(RV_ARCH) -O3 -std=c99 -Wall -Wextra -Werror -g -ffp-contract=off \
             --specs=picolibc.specs --crt0=semihost --oslib=semihost -Ikernels -Itests/unit
# 1 MB of code at 0x80000000, 7 MB of data, 64 kB of stack.
RV_LDFLAGS = -Wl,--defsym=__flash=0x80000000,--defsym=__flash_size=0x100000 \
             -Wl,--defsym=__ram=0x80100000,--defsym=__ram_size=0x700000 \
             -Wl,--defsym=__stack_size=0x10000
QEMU_RUN   = timeout $(QEMU_TIMEOUT) $(QEMU_RV32) -M virt -bios none -icount shift=0 \
             -semihosting-config enable=on,target=native -display none -monitor none \
             -serial none -kernel
QEMU_TIMEOUT ?= 600

RV_KERNEL_SRC := $(sort $(wildcard kernels/*.c))
RV_KCASE_SRC  := tests/unit/test_kernels_case.c tests/unit/test_kernels_ref.c
RV_DEPS       := $(RV_KERNEL_SRC) $(RV_KCASE_SRC) $(wildcard kernels/*.h) \
                 tests/unit/test_kernels_case.h tests/unit/test_kernels_ref.h mk/kernels.mk

$(BUILD)/rv32/kernel_tests.elf: tests/qemu/kernel_tests_main.c $(RV_DEPS)
	@mkdir -p $(dir $@)
	$(RV_CC) $(RV_CFLAGS) $(RV_LDFLAGS) -Wl,--wrap=dory__mm4x4_rv32 -o $@ $< $(RV_KERNEL_SRC) \
	    $(RV_KCASE_SRC) -lm

$(BUILD)/rv32/bench_kernels.elf: bench/bench_kernels.c $(RV_DEPS)
	@mkdir -p $(dir $@)
	$(RV_CC) $(RV_CFLAGS) $(RV_LDFLAGS) -o $@ $< $(RV_KERNEL_SRC) $(RV_KCASE_SRC) -lm

.PHONY: test-qemu bench-kernels bench-kernels-smoke
test-qemu: $(BUILD)/rv32/kernel_tests.elf
	$(QEMU_RUN) $<

# Two runs; the second must print exactly the same table. (Semihosting
# writes the program's output to QEMU's stderr.)
bench-kernels: $(BUILD)/rv32/bench_kernels.elf
	$(QEMU_RUN) $< > $(BUILD)/rv32/bench_run1.txt 2>&1
	$(QEMU_RUN) $< > $(BUILD)/rv32/bench_run2.txt 2>&1
	@cat $(BUILD)/rv32/bench_run1.txt
	@test "$$(grep -c ' ok <=\| OVER \| -$$' $(BUILD)/rv32/bench_run1.txt)" -ge 10
	@cmp $(BUILD)/rv32/bench_run1.txt $(BUILD)/rv32/bench_run2.txt && \
	    echo "bench-kernels: two runs printed identical counts"

# Smoke run for `make test` (about 5 s): one run; fails if a kernel's output
# differs from the baseline loop's on any benchmark shape.
bench-kernels-smoke: $(BUILD)/rv32/bench_kernels.elf
	$(QEMU_RUN) $< > $(BUILD)/rv32/bench_smoke.txt 2>&1 || (cat $(BUILD)/rv32/bench_smoke.txt; exit 1)
	@echo "bench-kernels-smoke: all benchmark shapes match the baseline"

# The Arm DSP version of the ISA hooks, compile-checked with clang for a
# Cortex-M4 (clang is a build dependency). No Arm C library is needed: the
# build is freestanding, with clang's own headers (stdint.h, arm_acle.h) and a
# one-line string.h declaring memcpy, which a freestanding C compiler may call
# anyway. The Xpulp version needs the PULP GCC, which is not packaged: it is
# not checked here.
$(BUILD)/isa/arm_dsp.s: kernels/dory_isa.h mk/kernels.mk
	@mkdir -p $(dir $@)include
	printf '#include <stddef.h>\nvoid *memcpy(void *d, const void *s, size_t n);\n' \
	    > $(dir $@)include/string.h
	printf '#include "dory_isa.h"\nint32_t dory_isa_check(const int8_t *a, const int8_t *b, int32_t c);\nint32_t dory_isa_check(const int8_t *a, const int8_t *b, int32_t c) { return dory_dot4_acc(c, dory_load4(a), dory_load4(b)); }\n' > $(BUILD)/isa/arm_dsp.c
	$(CLANG) --target=thumbv7em-none-eabi -mcpu=cortex-m4 -mthumb -O2 -std=c99 -Wall -Wextra \
	    -Werror -ffreestanding -nostdlibinc -isystem $(dir $@)include \
	    -Ikernels -S $(BUILD)/isa/arm_dsp.c -o $@
isa-check: $(BUILD)/isa/arm_dsp.s
	@grep -qi smlad $< || { echo "isa-check: no SMLAD in the Arm DSP build" >&2; exit 1; }
	@echo "isa-check: Arm DSP hooks compile to SMLAD"
.PHONY: isa-check

TEST_TARGETS += test-qemu bench-kernels-smoke isa-check
