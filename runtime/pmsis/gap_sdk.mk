# runtime/pmsis/gap_sdk.mk: the application as a GAP SDK project, read by the
# application's Makefile in a sourced GAP SDK shell (RULES_DIR set):
#   make clean all run platform=gvsoc    GVSoC of the SDK's chip
#   make clean all run platform=board    flashes (code and the readfs with
#                                        the L3 weights) and runs on the board
# The network runs on the cluster (runtime/pmsis/dory_hal_pmsis.c); the L3
# weights go to the flash's readfs and are copied to the external RAM at
# start. The Xpulp kernel path is on: the SDK compiler's __builtin_pulp_*
# where it has them, else the kernels' .insn encodings (DORY_XPULP_INSN).
APP = dory_app
APP_SRCS += $(APP_SRC) $(TEST_SRC) $(RT_COMMON) runtime/pmsis/dory_hal_pmsis.c
# the SDK's APP_INC is a list of folders
override APP_INC := inc kernels runtime test
APP_CFLAGS += -O3 -std=gnu99 -ffp-contract=off -DDORY_XPULP_INSN -DDORY_APP_MAIN=dory_app_main \
              $(if $(filter gap9,$(TARGET_NAME)),-DDORY_PMSIS_GAP9_EVK)
APP_LDFLAGS += -lm
READFS_FILES += $(wildcard weights/l3_weights.bin)
PMSIS_OS ?= pulpos
CONFIG_HYPERRAM = 1
CONFIG_HYPERFLASH = 1

include $(RULES_DIR)/pmsis_rules.mk
