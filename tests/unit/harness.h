/* harness.h: a minimal self-registering unit-test harness.
 *
 *   TEST(name) { CHECK(cond); CHECK_EQ_I64(a, b); }
 *
 * Tests register themselves at load time; tests/unit/main.c runs them all (or
 * those whose name contains the FILTER argument) and ends with "N passed, M
 * failed". SLOW_TEST(name) registers a test that only `unit_tests --slow`
 * runs (`make test-slow`, part of CI); a plain run says how many it left.
 */
#ifndef DORY_TEST_HARNESS_H
#define DORY_TEST_HARNESS_H

#include <stdint.h>
#include <stdio.h>

typedef void (*TestFn)(void);
/* slow: 1 for SLOW_TEST. Registering more tests than the harness holds makes
 * the run fail. */
void harness_register(const char *name, TestFn fn, int slow);
int harness_check(int ok, const char *file, int line, const char *expr);
/* Records a failure of the running test; returns 0. */
int harness_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define HARNESS_TEST(name, slow)                                                                   \
    static void test_##name(void);                                                                 \
    __attribute__((constructor)) static void register_##name(void)                                 \
    {                                                                                              \
        harness_register(#name, test_##name, slow);                                                \
    }                                                                                              \
    static void test_##name(void)
#define TEST(name)      HARNESS_TEST(name, 0)
#define SLOW_TEST(name) HARNESS_TEST(name, 1)

/* CHECK(cond) records a failure and evaluates to 0 when cond is false, to 1
 * otherwise, so it may guard the rest of a test: if (!CHECK(p)) return; */
#define CHECK(cond) harness_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_EQ_I64(a, b)                                                                         \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_)                                                                              \
            harness_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, a_, #b, b_);   \
    } while (0)

#endif
