# mk/pulp.mk: the Xpulp matrix core of the kernel library (docs/PULP.md).
#   make test-xpulp-kernels  the kernel tests (tests/qemu/kernel_tests_main.c)
#                            built on the host with the Xpulp core in portable
#                            C (-DDORY_MM_XPULP_C): the same algorithm and
#                            layout as on the cluster (part of `make test`)
#   make test-pulp-kernels GVSOC=.../bin/gvsoc
#                            the same tests with the Xpulp instructions on
#                            GVSoC's pulp-open (each core's share on its
#                            own cluster core and stack)
#   make test-pulp-stack GVSOC=.../bin/gvsoc
#                            the cluster stacks' overflow check fires on a
#                            deep worker frame, not on one within its stack
#   make bench-kernels-pulp GVSOC=.../bin/gvsoc
#                            bench/'s shapes on 1 and 8 cluster cores, cycles
#                            (ONLY=depthwise: the shapes naming it)
#   make bench-l3-pulp GVSOC=.../bin/gvsoc
#                            L3 on pulp-open (the HyperRAM through the
#                            micro-DMA, runtime/pulp) checked at every alignment,
#                            and its cycles (bench/bench_l3_pulp.c)
#   make bench-networks-pulp GVSOC=.../bin/gvsoc
#                            the example and DORY's four networks with each
#                            objective, per layer measured vs modeled
#                            (bench/pulp_networks.py -> bench/pulp_networks.md)
#   make fit-pulp GVSOC=.../bin/gvsoc
#                            refits the PULP cost model: the L3 bench, the
#                            one-layer sweep and the networks measured,
#                            constants fitted (bench/fit_pulp_cost.py ->
#                            src/plan/cost_pulp.h, bench/pulp_fit.md), dory
#                            rebuilt; then make bench-networks-pulp measures
#                            the plans of the new model
# GVSoC is not part of dory: without GVSOC= the GVSoC rules say so and stop.

XP_HOST_CFLAGS = -O2 -std=c99 -Wall -Wextra -Werror -ffp-contract=off -DDORY_MM_XPULP_C \
                 -Ikernels -Itests/unit
$(BUILD)/xpulp/kernel_tests: tests/qemu/kernel_tests_main.c $(RV_DEPS) mk/pulp.mk
	@mkdir -p $(dir $@)
	$(CC) $(XP_HOST_CFLAGS) -o $@ $< $(RV_KERNEL_SRC) $(RV_KCASE_SRC) -lm
test-xpulp-kernels: $(BUILD)/xpulp/kernel_tests
	$<

GVSOC ?=
PULP_BARE_CFLAGS = -march=rv32imc -mabi=ilp32 -O3 -std=c99 -Wall -Wextra -Werror -g \
                   -ffp-contract=off -DDORY_XPULP_INSN --specs=picolibc.specs --oslib=semihost \
                   -Ikernels -Itests/unit -Iruntime -Iruntime/pulp -nostartfiles \
                   -Wl,--defsym=__flash=0x1C000000,--defsym=__flash_size=0x98000 \
                   -Wl,--defsym=__ram=0x1C098000,--defsym=__ram_size=0xF8000 \
                   -Wl,--defsym=__stack_size=0x2000
PULP_BARE_RT = runtime/pulp/dory_hal_pulp.c runtime/pulp/crt0.S
$(BUILD)/pulp/kernel_tests.elf: tests/qemu/kernel_tests_main.c $(RV_DEPS) $(PULP_BARE_RT) mk/pulp.mk
	@mkdir -p $(dir $@)
	$(RV_CC) $(PULP_BARE_CFLAGS) -DKC_PULP_CLUSTER -o $@ $< $(RV_KERNEL_SRC) $(RV_KCASE_SRC) \
	    $(PULP_BARE_RT) -lm
define pulp_need_gvsoc
	@if [ -z "$(GVSOC)" ]; then echo "$@: no GVSoC given: make $@ GVSOC=/path/to/bin/gvsoc" \
	    "(GVSoC is not part of dory; docs/PULP.md)" >&2; exit 2; fi
endef
test-pulp-kernels: $(BUILD)/pulp/kernel_tests.elf
	$(pulp_need_gvsoc)
	cd $(dir $<) && timeout 1800 $(GVSOC) --target=pulp-open --binary $(abspath $<) run
# the stack check: a worker frame within its stack runs, one 200 bytes
# beyond it stops the run with the error line naming the core
PULP_STACK_ELF = $(BUILD)/pulp/stack_ok.elf $(BUILD)/pulp/stack_deep.elf
$(BUILD)/pulp/stack_%.elf: tests/qemu/pulp_stack_main.c $(PULP_BARE_RT) runtime/pulp/dory_pulp.h \
                           mk/pulp.mk
	@mkdir -p $(dir $@)
	$(RV_CC) $(PULP_BARE_CFLAGS) $(if $(findstring deep,$*),-DSTACK_BEYOND) -o $@ $< \
	    $(PULP_BARE_RT)
test-pulp-stack: $(PULP_STACK_ELF)
	$(pulp_need_gvsoc)
	cd $(dir $<) && timeout 600 $(GVSOC) --target=pulp-open --binary $(abspath $<) run \
	    | tee stack_ok.log && grep -q '^stack: ok' stack_ok.log
	cd $(dir $<) && ! timeout 600 $(GVSOC) --target=pulp-open \
	    --binary $(abspath $(BUILD)/pulp/stack_deep.elf) run > stack_deep.log 2>&1; \
	    cat stack_deep.log; grep -q '^dory: error: cluster core 3 overflowed' stack_deep.log && \
	    ! grep -q '^stack: ok' stack_deep.log
# ONLY=word: only the shapes whose name contains word (a build of its own)
ONLY ?=
PULP_BENCH = $(BUILD)/pulp/bench_kernels$(if $(ONLY),_$(ONLY)).elf
$(PULP_BENCH): bench/bench_kernels_pulp.c $(RV_DEPS) $(PULP_BARE_RT) mk/pulp.mk
	@mkdir -p $(dir $@)
	$(RV_CC) $(PULP_BARE_CFLAGS) $(if $(ONLY),-DDORY_BENCH_ONLY='"$(ONLY)"') -o $@ $< \
	    $(RV_KERNEL_SRC) $(RV_KCASE_SRC) $(PULP_BARE_RT) -lm
# bench/'s shapes on 1 and 8 cores, cycles (bench/README.md)
bench-kernels-pulp: $(PULP_BENCH)
	$(pulp_need_gvsoc)
	cd $(dir $<) && timeout 1800 $(GVSOC) --target=pulp-open --binary $(abspath $<) run
# L3 (the HyperRAM through the micro-DMA): checked with a 1 kB transfer limit
# (long transfers split), then checked and measured with the HAL's own
$(BUILD)/pulp/bench_l3%.elf: bench/bench_l3_pulp.c $(PULP_BARE_RT) runtime/pulp/dory_pulp.h \
                             runtime/dory_hal_bare.h runtime/dory_hal_cluster.h mk/pulp.mk
	@mkdir -p $(dir $@)
	$(RV_CC) $(PULP_BARE_CFLAGS) $(if $(findstring split,$*),-DDORY_PULP_HYPER_MAX_LEN=1024 \
	    -DBENCH_L3_CHECK_ONLY=1) -o $@ $< $(PULP_BARE_RT)
bench-l3-pulp: $(BUILD)/pulp/bench_l3_split.elf $(BUILD)/pulp/bench_l3_full.elf
	$(pulp_need_gvsoc)
	for elf in $^; do (cd $(dir $<) && timeout 600 $(GVSOC) --target=pulp-open \
	    --binary $(abspath $(dir $<))/$$(basename $$elf) run) || exit 1; done
# the example and DORY's networks, both objectives, per layer (bench/README.md)
bench-networks-pulp: $(VENV)/.stamp $(BUILD)/dory
	$(pulp_need_gvsoc)
	$(VENV)/bin/python bench/pulp_networks.py --gvsoc $(GVSOC) --host
# the cost model's refit: fit data measured with a frozen copy of dory (the
# rebuild does not change a run under way): the L3 bench, the one-layer sweep
# and the networks (both objectives, all fit data: holding the dory runs out
# leaves the one-pixel conv variant, which only they use, unfitted), fitted,
# dory rebuilt; each step's wall time
# printed (docs/PLANNER.md, "Refitting")
FIT_DORY = $(BUILD)/fit/dory
FIT_T = $(BUILD)/fit/t0
fit_time = @echo "fit-pulp: $(1): $$(( $$(date +%s) - $$(cat $(FIT_T)) )) s wall" | tee -a $(BUILD)/fit/times
fit-pulp: $(VENV)/.stamp $(BUILD)/dory $(BUILD)/pulp/bench_l3_full.elf
	$(pulp_need_gvsoc)
	@mkdir -p $(BUILD)/fit && cp $(BUILD)/dory $(FIT_DORY) && rm -f $(BUILD)/fit/times
	@date +%s > $(FIT_T)
	cd $(BUILD)/pulp && timeout 600 $(GVSOC) --target=pulp-open \
	    --binary $(abspath $(BUILD)/pulp/bench_l3_full.elf) run > $(abspath $(BUILD)/fit/l3.log)
	$(call fit_time,L3 bench)
	@date +%s > $(FIT_T)
	DORY=$(FIT_DORY) $(VENV)/bin/python bench/pulp_sweep.py --gvsoc $(GVSOC) -j 2 \
	    --work $(BUILD)/fit/sweep
	$(call fit_time,one-layer sweep)
	@date +%s > $(FIT_T)
	DORY=$(FIT_DORY) $(VENV)/bin/python bench/pulp_networks.py --gvsoc $(GVSOC) -j 2 \
	    --work $(BUILD)/fit/networks --out bench/pulp_fit_networks
	$(call fit_time,networks)
	@date +%s > $(FIT_T)
	$(VENV)/bin/python bench/fit_pulp_cost.py bench/pulp_sweep.json \
	    bench/pulp_fit_networks.json --l3-bench $(BUILD)/fit/l3.log
	$(MAKE) $(BUILD)/dory
	$(call fit_time,fit and rebuild)
	@cat $(BUILD)/fit/times
.PHONY: test-xpulp-kernels test-pulp-kernels test-pulp-stack bench-kernels-pulp bench-l3-pulp bench-networks-pulp fit-pulp

TEST_TARGETS += test-xpulp-kernels
