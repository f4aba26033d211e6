# runtime/pmsis/app.mk: GAP8/GAP9 through the GAP SDK (PMSIS), included by the
# application's Makefile outside a GAP SDK shell. Inside one (RULES_DIR set
# by the SDK's sourceme), the Makefile reads runtime/pmsis/gap_sdk.mk instead:
#   make clean all run platform=gvsoc    (or platform=board: flash and run)
# Here, without the SDK:
#   make pmsis-check   compiles the application and this HAL with the RV32
#                      cross compiler against PMSIS_INC (headers of the PMSIS
#                      API: the SDK's, or dory's tests/pmsis/include)
#   make run-pmsis-host  builds the application with this HAL and a host
#                      implementation of the PMSIS subset (PMSIS_HOST: dory's
#                      tests/pmsis, never shipped) with the host compiler
#                      (SAN=1: the sanitizers, as `make run`) and runs it, the
#                      readfs holding PMSIS_READFS
PMSIS_CC ?= riscv64-unknown-elf-gcc
PMSIS_INC ?=
PMSIS_CHIP_FLAGS = $(if $(filter gap9,$(TARGET_NAME)),-DDORY_PMSIS_GAP9_EVK)
PMSIS_CFLAGS = -march=rv32imc -mabi=ilp32 -O3 -std=c99 -Wall -Wextra -Werror -ffp-contract=off \
               -DDORY_XPULP_INSN -DDORY_APP_MAIN=dory_app_main $(PMSIS_CHIP_FLAGS) \
               --specs=picolibc.specs $(APP_INC)
PMSIS_RT = $(RT_COMMON) runtime/pmsis/dory_hal_pmsis.c
PMSIS_HOST ?=
PMSIS_READFS = $(wildcard weights/l3_weights.bin)

pmsis-check: $(APP_SRC) $(TEST_SRC) $(PMSIS_RT) $(APP_DEPS)
	@if [ -z "$(PMSIS_INC)" ]; then echo "pmsis-check: give PMSIS_INC=<folder with pmsis.h>" >&2; \
	    exit 2; fi
	rm -rf pmsis-obj && mkdir pmsis-obj
	cd pmsis-obj && $(PMSIS_CC) $(PMSIS_CFLAGS:-I%=-I../%) $(addprefix -I,$(abspath $(PMSIS_INC))) -c $(addprefix ../,$(APP_SRC) $(TEST_SRC) \
	    $(PMSIS_RT))
	rm -rf pmsis-obj

pmsis-host: $(APP_SRC) $(TEST_SRC) $(PMSIS_RT) $(APP_DEPS) $(wildcard $(PMSIS_HOST)/host_pmsis.c)
	@if [ ! -f "$(PMSIS_HOST)/host_pmsis.c" ]; then \
	    echo "run-pmsis-host: give PMSIS_HOST=<folder of host_pmsis.c> (dory's tests/pmsis)" >&2; \
	    exit 2; fi
	$(CC) $(HOST_CFLAGS) -DDORY_APP_MAIN=dory_app_main $(PMSIS_CHIP_FLAGS) \
	    -I$(PMSIS_HOST)/include -o $@ $(APP_SRC) $(TEST_SRC) $(PMSIS_RT) \
	    $(PMSIS_HOST)/host_pmsis.c -lpthread -lm
run-pmsis-host: pmsis-host
	PMSIS_HOST_READFS="$(PMSIS_READFS)" ./pmsis-host

clean::
	rm -rf pmsis-host pmsis-obj
.PHONY: pmsis-check run-pmsis-host
