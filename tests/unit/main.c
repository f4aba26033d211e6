/* main.c: runs the registered unit tests and prints the count line CI reads.
 *
 *   unit_tests [--slow] [FILTER]   every test but the slow ones, or only the
 *                                  slow ones; only names containing FILTER
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util/util.h"

enum { MAX_TESTS = 1024 };
static struct {
    const char *name;
    TestFn fn;
    int slow;
} tests[MAX_TESTS];
static int ntests;      /* stored in tests[] */
static int nregistered; /* asked for: more than MAX_TESTS fails the run */
static int current_failed;

void harness_register(const char *name, TestFn fn, int slow)
{
    nregistered++;
    if (ntests < MAX_TESTS) {
        tests[ntests].name = name;
        tests[ntests].fn = fn;
        tests[ntests].slow = slow;
        ntests++;
    }
}

int harness_fail(const char *file, int line, const char *fmt, ...)
{
    if (current_failed < 5) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "  %s:%d: ", file, line);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    current_failed++;
    return 0;
}

int harness_check(int ok, const char *file, int line, const char *expr)
{
    return ok ? 1 : harness_fail(file, line, "%s", expr);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv)
{
    int slow = argc > 1 && strcmp(argv[1], "--slow") == 0;
    const char *filter = argc > 1 + slow ? argv[1 + slow] : NULL;
    if (nregistered > MAX_TESTS) {
        printf("FAIL harness: %d tests registered, room for %d (raise MAX_TESTS in %s)\n",
               nregistered, MAX_TESTS, __FILE__);
        return 1;
    }
    qsort(tests, (size_t)ntests, sizeof tests[0], by_name);
    int passed = 0, failed = 0, left = 0;
    diag_set_quiet(1);
    for (int i = 0; i < ntests; i++) {
        if (filter && !strstr(tests[i].name, filter)) continue;
        if (tests[i].slow != slow) {
            left += tests[i].slow;
            continue;
        }
        current_failed = 0;
        diag_reset();
        tests[i].fn();
        if (current_failed) {
            printf("FAIL %s (%d checks failed)\n", tests[i].name, current_failed);
            failed++;
        } else {
            printf("ok   %s\n", tests[i].name);
            passed++;
        }
    }
    if (left) printf("%d slow tests not run here: `make test-slow` runs them\n", left);
    printf("%d passed, %d failed\n", passed, failed);
    return failed || passed == 0 ? 1 : 0;
}
