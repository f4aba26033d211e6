# runtime/pulp/app.mk: the bare-metal build of a dory application for the
# PULP open cluster (8 RI5CY cores, mchan DMA, event unit), run on an
# installed GVSoC (included by the application's Makefile). The time column
# is cycles of cluster core 0 (mcycle); after the summary, `profile:` lines
# give MAC/cycle and the cycles the layer loop waited for DMA. GVSoC is not
# part of dory: give the installed `gvsoc` program (docs/PULP.md tells how
# it was built here).
#   make run-gvsoc GVSOC=/path/to/install/bin/gvsoc
#   PULP_XPULP=0   kernels without the Xpulp instructions (rv32imc only)
#   PULP_FLASH=N   bytes of L2 for code and constants (below)
GVSOC ?=
PULP_CC ?= riscv64-unknown-elf-gcc
PULP_XPULP ?= 1
GVSOC_TIMEOUT ?= 1800
PULP_CFLAGS = -march=rv32imc -mabi=ilp32 -O3 -std=c99 -Wall -Wextra -Werror -ffp-contract=off \
              -ffunction-sections -fdata-sections $(if $(filter 1,$(PULP_XPULP)),-DDORY_XPULP_INSN) \
              --specs=picolibc.specs --oslib=semihost $(APP_INC) -Iruntime/pulp
# picolibc.ld's two regions inside GVSoC's L2 (1.56 MB from 0x1C000000):
# PULP_FLASH bytes of code and constants (the resident weights and the
# harness's golden data among them), then the rest for data, the heap (the L2
# and L3 arenas) and the FC stack. Raise PULP_FLASH if the link says the
# code region overflowed, or that a GPREL relocation was truncated (the
# linker's relaxation moved the small data out of gp's reach when the code
# region was nearly full).
PULP_FLASH ?= 0x58000
PULP_RAM = $(shell printf '0x%x' $$((0x1C000000 + $(PULP_FLASH))))
PULP_RAM_SIZE = $(shell printf '0x%x' $$((0x190000 - $(PULP_FLASH))))
PULP_LDFLAGS = -nostartfiles -Wl,--defsym=__flash=0x1C000000,--defsym=__flash_size=$(PULP_FLASH) \
               -Wl,--defsym=__ram=$(PULP_RAM),--defsym=__ram_size=$(PULP_RAM_SIZE) \
               -Wl,--defsym=__stack_size=0x2000
PULP_RT = $(RT_COMMON) runtime/pulp/dory_hal_pulp.c runtime/pulp/crt0.S

app-pulp.elf: $(APP_SRC) $(TEST_SRC) $(PULP_RT) $(APP_DEPS) runtime/pulp/dory_pulp.h
	$(PULP_CC) $(PULP_CFLAGS) $(PULP_LDFLAGS) -o $@ $(APP_SRC) $(TEST_SRC) $(PULP_RT) -lm
run-gvsoc: app-pulp.elf
	@if [ -z "$(GVSOC)" ]; then \
	    echo "run-gvsoc: no GVSoC given: make run-gvsoc GVSOC=/path/to/bin/gvsoc" \
	         "(GVSoC is not part of dory; docs/PULP.md)" >&2; exit 2; fi
	@mkdir -p gvsoc-work && ln -sfn ../weights gvsoc-work/weights # semihosting opens from there
	timeout $(GVSOC_TIMEOUT) $(GVSOC) --target=pulp-open --binary $(CURDIR)/$< \
	    --work-dir=gvsoc-work run 2>&1

clean::
	rm -rf app-pulp.elf gvsoc-work
.PHONY: run-gvsoc
