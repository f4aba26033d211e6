/* main.c: a firmware's use of a network deployed by dory, as an embedded
 * engineer would write it: its own input and output buffers, one init, one
 * inference, the result used. It knows only inc/network.h of the generated
 * application. Here the "sensor" is a file of DORY_INPUT_BYTES raw bytes
 * (the last argument, default input.bin; under QEMU's semihosting the
 * arguments are the kernel's path and then -append's) and the result is printed one value per
 * line; on a chip they would be a microphone buffer and a decision. C99.
 */
#include <stdio.h>

#include "network.h"

static dory_input_t input[DORY_INPUT_BYTES / sizeof(dory_input_t)];
static dory_output_t output[DORY_OUTPUT_BYTES / sizeof(dory_output_t)];

static int read_input(const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(input, 1, sizeof input, f) : 0;
    if (f) fclose(f);
    return got == sizeof input ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[argc - 1] : "input.bin";
    size_t i;
    int rc;
    if (read_input(path)) {
        printf("firmware: cannot read %u input bytes from %s\n", (unsigned)DORY_INPUT_BYTES, path);
        return 2;
    }
    rc = dory_network_init();
    if (rc == 0) rc = dory_network_run(input, output);
    if (rc != 0) {
        printf("firmware: network error %d: %s\n", rc, dory_network_strerror(rc));
        return 1;
    }
    for (i = 0; i < sizeof output / sizeof output[0]; i++) printf("%ld\n", (long)output[i]);
    dory_network_deinit();
    return 0;
}
