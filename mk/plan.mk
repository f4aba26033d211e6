# mk/plan.mk: the planning-time benchmark (bench/plan_time.c, run by
# `make bench-plan`), which reports the planning time and checks the
# acceptance bound (< 100 ms for MobileNetV1). It is a benchmark, not part of
# `make test`: wall-clock bounds do not belong in tests (they depend on the
# machine's load).

$(BUILD)/bench_plan: $(call objs,rel,bench/plan_time.c tests/unit/models.c) $(REL_LIB)
	$(CC) $(OPT) -o $@ $^ $(LDLIBS)

.PHONY: bench-plan
bench-plan: $(BUILD)/bench_plan
	$(BUILD)/bench_plan
