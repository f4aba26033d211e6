# runtime/host/app.mk: the host build of a dory application (included by the
# application's Makefile, which sets APP_INC, APP_SRC, TEST_SRC, RT_COMMON and
# APP_DEPS). L1, L2 and L3 are bounds-checked arenas of the target's sizes,
# DMA completes only at wait, cores are threads.
#   make run          build ./app and run it: every layer checked
#   SAN=1             AddressSanitizer + UndefinedBehaviorSanitizer
#   CORES=N           run on N cores (default: the plan's)
#   RT_LIB=F          link a prebuilt archive of kernels/ and runtime/ (`make rtlib`)
#   make lib          libdory_net.a: the network as a library, without the harness
CC ?= cc
CORES ?=
RT_LIB ?=
CFLAGS ?= -O2
HOST_CFLAGS = $(CFLAGS) -std=c99 -Wall -Wextra -Werror -ffp-contract=off \
              -D_POSIX_C_SOURCE=200809L $(APP_INC)
ifeq ($(SAN),1)
HOST_CFLAGS += -g -fsanitize=address,undefined -fno-sanitize-recover=all
endif
HOST_RT = $(RT_COMMON) runtime/host/dory_hal_host.c
HOST_LINK = $(if $(RT_LIB),$(RT_LIB),$(HOST_RT))

app: $(APP_SRC) $(TEST_SRC) $(HOST_LINK) $(APP_DEPS)
	$(CC) $(HOST_CFLAGS) -o $@ $(APP_SRC) $(TEST_SRC) $(HOST_LINK) -lpthread -lm
run: app
	./app $(CORES)

rtlib: $(HOST_RT)
	rm -rf rtobj && mkdir rtobj
	cd rtobj && $(CC) $(HOST_CFLAGS:-I%=-I../%) -c $(addprefix ../,$(HOST_RT))
	ar rcs libdory_rt.a rtobj/*.o && rm -rf rtobj

lib: $(APP_SRC) $(HOST_RT) $(APP_DEPS)
	rm -rf libobj && mkdir libobj
	cd libobj && $(CC) $(HOST_CFLAGS:-I%=-I../%) -c $(addprefix ../,$(APP_SRC) $(HOST_RT))
	ar rcs libdory_net.a libobj/*.o && rm -rf libobj

clean::
	rm -rf app libdory_rt.a libdory_net.a rtobj libobj
.PHONY: run rtlib lib clean
