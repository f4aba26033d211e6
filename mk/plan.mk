# plan.mk: the memory planner's build rules: cJSON for target files and the
# planning-time benchmark (bench/plan_time.c, run by `make bench-plan`).
EXTRA_CPPFLAGS += -I/usr/include/cjson
EXTRA_LDLIBS   += -lcjson

# This fragment is read before the Makefile defines REL_LIB: expand it late.
.SECONDEXPANSION:
$(BUILD)/bench_plan: $(BUILD)/rel/bench/plan_time.o $(BUILD)/rel/tests/unit/models.o $$(REL_LIB)
	$(CC) $(OPT) -o $@ $^ $(LDLIBS)

.PHONY: bench-plan
bench-plan: $(BUILD)/bench_plan
	$(BUILD)/bench_plan

# `make bench-plan` reports the planning time and checks the acceptance bound
# (< 100 ms for MobileNetV1). It is a benchmark, not part of `make test`:
# wall-clock bounds do not belong in tests (they depend on the machine's load).
