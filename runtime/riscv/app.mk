# runtime/riscv/app.mk: the bare-metal RV32 build of a dory application, one
# hart under `qemu-system-riscv32 -M virt` with picolibc and semihosting
# (included by the application's Makefile). The table's time column is then
# retired instructions, identical run to run. Semihosting prints the program's
# output on QEMU's stderr: merged into stdout here.
#   make run-qemu     build app-rv32.elf and run it: every layer checked
RV_CC ?= riscv64-unknown-elf-gcc
QEMU_RV32 ?= qemu-system-riscv32
QEMU_TIMEOUT ?= 900
RV_CFLAGS = -march=rv32imc -mabi=ilp32 -O3 -std=c99 -Wall -Wextra -Werror -ffp-contract=off \
            --specs=picolibc.specs --crt0=semihost --oslib=semihost $(APP_INC)
# 4 MB of code and constants at 0x80000000, 60 MB of data, 64 kB of stack
RV_LDFLAGS = -Wl,--defsym=__flash=0x80000000,--defsym=__flash_size=0x400000 \
             -Wl,--defsym=__ram=0x80400000,--defsym=__ram_size=0x3c00000 \
             -Wl,--defsym=__stack_size=0x10000
RV_RT = $(RT_COMMON) runtime/riscv/dory_hal_riscv.c

app-rv32.elf: $(APP_SRC) $(TEST_SRC) $(RV_RT) $(APP_DEPS)
	$(RV_CC) $(RV_CFLAGS) $(RV_LDFLAGS) -o $@ $(APP_SRC) $(TEST_SRC) $(RV_RT) -lm
run-qemu: app-rv32.elf
	timeout $(QEMU_TIMEOUT) $(QEMU_RV32) -M virt -m 128M -bios none -icount shift=0 \
	    -semihosting-config enable=on,target=native -display none -monitor none \
	    -serial none -kernel $< 2>&1

clean::
	rm -f app-rv32.elf
.PHONY: run-qemu
