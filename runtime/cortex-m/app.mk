# runtime/cortex-m/app.mk: the bare-metal Cortex-M build of a dory
# application, under qemu-system-arm with newlib and semihosting (included by
# the application's Makefile). One memory level: the SRAM arena of the
# activations and kernel scratch, weights const in flash (runtime/cortex-m/
# mps2.ld). The table's time column is retired instructions, exact and
# identical run to run (-icount shift=10 and timer 0: dory_hal_cortex_m.c).
# Semihosting output is merged into stdout.
#   make run-qemu-m4   app-m4.elf on -M mps2-an386 (Cortex-M4F): every layer checked
#   make run-qemu-m7   app-m7.elf on -M mps2-an500 (Cortex-M7)
#   make run-qemu      the one of this application's target
#   make lib-cm        libdory_net_cm.a: the network, its kernels and this HAL
#                      for the target's core, no main and no start-up code
#   CM_DSP=0           build the kernels without the Arm DSP path (portable C)
CM_CC ?= arm-none-eabi-gcc
CM_AR ?= arm-none-eabi-ar
QEMU_ARM ?= qemu-system-arm
QEMU_TIMEOUT ?= 900
CM_DSP ?= 1
CM_ARCH_m4 = -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
CM_ARCH_m7 = -mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16
CM_BOARD_m4 = mps2-an386
CM_BOARD_m7 = mps2-an500
CM_CORE = $(if $(filter cortex-m4,$(TARGET_NAME)),m4,m7)
CM_CFLAGS = -O3 -std=c99 -Wall -Wextra -Werror -ffp-contract=off -ffunction-sections \
            -fdata-sections $(if $(filter 0,$(CM_DSP)),-DDORY_NO_DSP) $(APP_INC)
CM_LDFLAGS = --specs=rdimon.specs -nostartfiles -Truntime/cortex-m/mps2.ld -Wl,--gc-sections
CM_HAL = runtime/cortex-m/dory_hal_cortex_m.c
CM_RT = $(RT_COMMON) $(CM_HAL) runtime/cortex-m/dory_cm.c

app-m4.elf app-m7.elf: app-%.elf: $(APP_SRC) $(TEST_SRC) $(CM_RT) $(APP_DEPS) runtime/cortex-m/mps2.ld
	$(CM_CC) $(CM_ARCH_$*) $(CM_CFLAGS) $(CM_LDFLAGS) -o $@ $(APP_SRC) $(TEST_SRC) $(CM_RT) -lm
run-qemu-m4 run-qemu-m7: run-qemu-%: app-%.elf
	timeout $(QEMU_TIMEOUT) $(QEMU_ARM) -M $(CM_BOARD_$*) -icount shift=10 \
	    -semihosting-config enable=on,target=native -display none -monitor none \
	    -serial none -kernel $< 2>&1
run-qemu: run-qemu-$(CM_CORE)

lib-cm: $(APP_SRC) $(RT_COMMON) $(CM_HAL) $(APP_DEPS)
	rm -rf libobj-cm && mkdir libobj-cm
	cd libobj-cm && $(CM_CC) $(CM_ARCH_$(CM_CORE)) $(CM_CFLAGS:-I%=-I../%) -c \
	    $(addprefix ../,$(APP_SRC) $(RT_COMMON) $(CM_HAL))
	$(CM_AR) rcs libdory_net_cm.a libobj-cm/*.o && rm -rf libobj-cm

clean::
	rm -rf app-m4.elf app-m7.elf libdory_net_cm.a libobj-cm
.PHONY: run-qemu run-qemu-m4 run-qemu-m7 lib-cm
