/* host_pmsis.c (tests only, never shipped in an application): the PMSIS
 * subset that tests/pmsis/include declares, on a PC, so that the PMSIS HAL
 * (runtime/pmsis/dory_hal_pmsis.c) runs unchanged on the host: `make
 * run-pmsis-host PMSIS_HOST=<dory>/tests/pmsis` in a generated folder
 * (runtime/pmsis/app.mk) links the two. It is as strict as the host HAL,
 * at the level of the PMSIS calls:
 *
 *  - L1 (GAP8 64 kB, GAP9 128 kB, the cluster stacks of each task taken from
 *    it first), L2 (512 kB / 1.5 MB) and the external RAM (8 MB) are fixed
 *    arenas; every transfer must lie inside one allocated chunk (or, for
 *    L2, in the program's static data: the image's resident constants and
 *    the harness's buffers, which an SDK build keeps in L2).
 *  - The cluster DMA, the RAM reads/writes/copies and the readfs copies land
 *    only at their wait: until then the destination holds a poison pattern,
 *    and the source is checked unchanged at the wait. A request waited twice
 *    or never issued, and anything still in flight at pmsis_exit(), stop the
 *    program.
 *  - Cluster calls only from the cluster task; pi_cl_team_fork() runs the
 *    entry on threads with a real barrier (GAP8: the caller is core 0; GAP9:
 *    the caller is the cluster controller, core 8, and waits while cores
 *    0..n-1 run), pi_cl_team_barrier() only inside a fork.
 *  - pi_perf_* counts per core, deterministically: one per PMSIS call and
 *    one per byte landed by the core's waits while started (not cycles).
 *  - The readfs is the files named in PMSIS_HOST_READFS (space-separated
 *    paths, as READFS_FILES), looked up by their base name.
 *
 * At pmsis_exit() it prints its counters on stderr (one `pmsis-host:` line:
 * DMA commands and bytes, RAM API and readfs bytes, arena use, forks and
 * barriers) so that tests can see which calls moved the data. A violation
 * prints `pmsis-host: error:` and exits with status 3.
 * C99 + POSIX threads + GCC's __thread; addresses the HAL passes as uint32_t
 * (pi_cl_dma_cmd) are taken as the low 32 bits of a pointer into this
 * program's static data, where the arenas are (GNU ld's etext and end).
 */
#include "bsp/flash/hyperflash.h"
#include "bsp/flash/mx25u51245g.h"
#include "bsp/fs.h"
#include "bsp/ram.h"
#include "bsp/ram/aps25xxxn.h"
#include "bsp/ram/hyperram.h"
#include "pmsis.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>

#ifdef DORY_PMSIS_GAP9_EVK
#define CHIP        "gap9"
#define L1_BYTES    (128 * 1024)
#define L2_BYTES    (1536 * 1024)
#define MASTER_CORE 8 /* the cluster controller: not one of the team */
#else
#define CHIP        "gap8"
#define L1_BYTES    (64 * 1024)
#define L2_BYTES    (512 * 1024)
#define MASTER_CORE 0 /* core 0 of the team */
#endif
#define RAM_BYTES  (8 * 1024 * 1024)
#define RAM_FIRST  0  /* the first RAM chunk's address */
#define TEAM_CORES 8  /* worker cores */
#define MAX_OPS    64 /* requests in flight, all kinds */
#define MAX_DMA    16 /* DMA commands in flight (the HAL keeps at most 8) */
#define MAX_CHUNKS 64 /* allocations per arena */
#define MAX_FILES  8  /* readfs files */
#define POISON     0xA5
#define REQ_MAGIC  0x504d4953u /* "PMIS" in a request's first opaque word */

/* ---- State --------------------------------------------------------------------- */

typedef enum { CTX_FC = 0, CTX_CLUSTER } ctx_t;
typedef enum { OP_FREE = 0, OP_DMA, OP_RAM, OP_FS } op_kind_t;
typedef enum { DEV_NONE = 0, DEV_RAM, DEV_FLASH, DEV_FS, DEV_CLUSTER } dev_kind_t;

/* A chunk of an arena: [at, at + bytes). */
typedef struct chunk {
    uint8_t *at;
    size_t bytes;
} chunk_t;

typedef struct arena {
    const char *name;
    uint8_t *base;
    size_t size, used;
    chunk_t chunks[MAX_CHUNKS];
    int count;
} arena_t;

/* One request in flight: `bytes` from src to dst, in rows of `row` bytes
 * `src_stride` / `dst_stride` apart (the last row may be shorter). */
typedef struct op {
    op_kind_t kind;
    uint32_t serial;
    const char *call;
    uint8_t *dst;
    const uint8_t *src;
    size_t bytes, row, dst_stride, src_stride;
    uint64_t src_hash;
    uint64_t *counter; /* the byte counter it adds to when it lands */
} op_t;

typedef struct rfile {
    char path[512];
    const char *name; /* base name: what pi_fs_open() looks for */
    uint8_t *data;    /* the "flash": the file's bytes, read at mount */
    size_t bytes;
} rfile_t;

struct pi_fs_file_s {
    rfile_t *file;
};

typedef struct devstate {
    dev_kind_t kind;
} devstate_t;

static uint8_t l1_mem[L1_BYTES], l2_mem[L2_BYTES], ram_mem[RAM_BYTES];

static struct {
    pthread_mutex_t lock;
    arena_t l1, l2, ram;
    op_t ops[MAX_OPS];
    uint32_t serial;
    int dma_in_flight;
    devstate_t ram_dev, flash_dev, fs_dev, cluster_dev;
    rfile_t files[MAX_FILES];
    struct pi_fs_file_s handles[MAX_FILES];
    int nfiles, mounted;
    size_t stacks;             /* bytes of L1 the cluster stacks take */
    pthread_barrier_t barrier; /* of the running fork's team */
    /* counters */
    uint64_t dma_cmds, dma_2d, dma_bytes, ram_read, ram_write, ram_copy_in, ram_copy_out, fs_read;
    uint64_t forks, barriers;
} host = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Per core (thread): where it runs, its id, its performance counter. */
static __thread ctx_t my_ctx = CTX_FC;
static __thread int my_core, my_in_team;
static __thread struct {
    int started;
    uint64_t count;
} my_perf;

static void fail(const char *call, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(const char *call, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "pmsis-host: error: %s: ", call);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stdout);
    fflush(stderr);
    exit(3);
}

static void tick(uint64_t n)
{
    if (my_perf.started) my_perf.count += n;
}

/* Every call: counted, and its context checked (cluster calls: pi_cl_*). */
static void enter(const char *call, int cluster_only)
{
    tick(1);
    if (cluster_only && my_ctx != CTX_CLUSTER)
        fail(call, "called from the fabric controller, outside the cluster task");
}

/* ---- Memory: arenas and addresses ---------------------------------------------- */

extern char etext[], end[]; /* GNU ld: the program's static data lies between them */

static void arenas_init(void)
{
    if (host.l1.base) return;
    host.l1 = (arena_t){"L1", l1_mem, sizeof l1_mem, 0, {{0, 0}}, 0};
    host.l2 = (arena_t){"L2", l2_mem, sizeof l2_mem, 0, {{0, 0}}, 0};
    host.ram = (arena_t){"RAM", ram_mem, sizeof ram_mem, RAM_FIRST, {{0, 0}}, 0};
    memset(l1_mem, POISON, sizeof l1_mem);
    memset(l2_mem, POISON, sizeof l2_mem);
    memset(ram_mem, POISON, sizeof ram_mem);
}

/* A chunk of `bytes` (rounded up to 8), or NULL with a note if the arena is full. */
static uint8_t *arena_alloc(arena_t *a, size_t bytes, const char *call)
{
    size_t n = (bytes + 7) & ~(size_t)7;
    uint8_t *p;
    arenas_init();
    if (!bytes || a->count == MAX_CHUNKS || n > a->size - a->used) {
        fprintf(stderr, "pmsis-host: %s(%lu): %s has %lu of %lu bytes free\n", call,
                (unsigned long)bytes, a->name, (unsigned long)(a->size - a->used),
                (unsigned long)a->size);
        return NULL;
    }
    p = a->base + a->used;
    a->chunks[a->count++] = (chunk_t){p, bytes};
    a->used += n;
    return p;
}

static int inside(const uint8_t *p, size_t n, const uint8_t *base, size_t size)
{
    return p >= base && p <= base + size && n <= (size_t)(base + size - p);
}

/* 1 if [p, p + n) lies inside one allocated chunk of a. */
static int in_chunk(const arena_t *a, const uint8_t *p, size_t n)
{
    int i;
    for (i = 0; i < a->count; i++)
        if (inside(p, n, a->chunks[i].at, a->chunks[i].bytes)) return 1;
    return 0;
}

static int overlaps(const uint8_t *p, size_t n, const uint8_t *base, size_t size)
{
    return n && p < base + size && base < p + n;
}

/* L2: a chunk of the L2 arena, or static data outside every arena. */
static int is_l2(const uint8_t *p, size_t n)
{
    if (!inside(p, n, (const uint8_t *)etext, (size_t)(end - etext)))
        return in_chunk(&host.l2, p, n);
    if (overlaps(p, n, l2_mem, sizeof l2_mem)) return in_chunk(&host.l2, p, n);
    return !overlaps(p, n, l1_mem, sizeof l1_mem) && !overlaps(p, n, ram_mem, sizeof ram_mem);
}

static void check_l2(const char *call, const char *side, const void *p, size_t n)
{
    if (!is_l2((const uint8_t *)p, n))
        fail(call, "%s [%p, +%lu) is not in L2 (an L2 chunk or static data)", side, p,
             (unsigned long)n);
}

static void check_l1(const char *call, const uint8_t *p, size_t n)
{
    if (!in_chunk(&host.l1, p, n))
        fail(call, "L1 side [%p, +%lu) is not inside a pi_cl_l1_malloc() chunk", (const void *)p,
             (unsigned long)n);
}

/* The pointer whose low 32 bits the HAL passed (a chip address). */
static uint8_t *chip_ptr(uint32_t addr, const char *call)
{
    uintptr_t lo = (uintptr_t)etext, hi = (uintptr_t)end;
    uintptr_t p = (lo & ~(uintptr_t)0xffffffffu) | addr;
    if (p < lo) p += (uintptr_t)1 << 16 << 16; /* static data across a 4 GB line */
    if (p < lo || p >= hi)
        fail(call, "address 0x%08lx is not in this program's memory", (unsigned long)addr);
    return (uint8_t *)p;
}

/* ---- Requests: issued, landed at wait -------------------------------------------- */

static uint64_t hash_rows(const op_t *o)
{
    uint64_t h = 1469598103934665603ull;
    size_t at, i, r;
    for (at = 0, r = 0; at < o->bytes; at += o->row, r++) {
        const uint8_t *s = o->src + r * o->src_stride;
        size_t n = o->bytes - at < o->row ? o->bytes - at : o->row;
        for (i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ull;
    }
    return h;
}

static void move_rows(const op_t *o, int poison)
{
    size_t at, r;
    for (at = 0, r = 0; at < o->bytes; at += o->row, r++) {
        size_t n = o->bytes - at < o->row ? o->bytes - at : o->row;
        if (poison)
            memset(o->dst + r * o->dst_stride, POISON, n);
        else
            memcpy(o->dst + r * o->dst_stride, o->src + r * o->src_stride, n);
    }
}

/* The request's words: REQ_MAGIC, the slot, the serial. */
static void issue(op_t *o, uint32_t *req)
{
    int s;
    pthread_mutex_lock(&host.lock);
    for (s = 0; s < MAX_OPS && host.ops[s].kind != OP_FREE; s++)
        ;
    if (s == MAX_OPS) fail(o->call, "more than %d requests in flight", MAX_OPS);
    if (o->kind == OP_DMA && ++host.dma_in_flight > MAX_DMA)
        fail(o->call, "more than %d DMA commands in flight", MAX_DMA);
    o->serial = ++host.serial;
    o->src_hash = hash_rows(o);
    move_rows(o, 1);
    host.ops[s] = *o;
    req[0] = REQ_MAGIC;
    req[1] = (uint32_t)s;
    req[2] = o->serial;
    pthread_mutex_unlock(&host.lock);
}

/* Lands the request: returns its size. */
static size_t land(const uint32_t *req, op_kind_t kind, const char *call)
{
    op_t *o;
    size_t bytes;
    pthread_mutex_lock(&host.lock);
    if (req[0] != REQ_MAGIC || req[1] >= MAX_OPS || host.ops[req[1]].kind != kind ||
        host.ops[req[1]].serial != req[2])
        fail(call, "the request is not in flight (never issued, or waited twice)");
    o = &host.ops[req[1]];
    if (hash_rows(o) != o->src_hash)
        fail(call, "the source of %s (%lu bytes) changed before the wait", o->call,
             (unsigned long)o->bytes);
    move_rows(o, 0);
    *o->counter += o->bytes;
    if (kind == OP_DMA) host.dma_in_flight--;
    bytes = o->bytes;
    o->kind = OP_FREE;
    pthread_mutex_unlock(&host.lock);
    tick(bytes);
    return bytes;
}

/* ---- Fabric controller and devices ---------------------------------------------- */

static void summary(void)
{
    fprintf(stderr,
            "pmsis-host: chip=%s dma_cmds=%llu dma_2d=%llu dma_bytes=%llu ram_read=%llu "
            "ram_write=%llu ram_copy_in=%llu ram_copy_out=%llu fs_read=%llu l1_used=%lu/%lu "
            "l2_used=%lu/%lu ram_used=%lu/%lu forks=%llu barriers=%llu\n",
            CHIP, (unsigned long long)host.dma_cmds, (unsigned long long)host.dma_2d,
            (unsigned long long)host.dma_bytes, (unsigned long long)host.ram_read,
            (unsigned long long)host.ram_write, (unsigned long long)host.ram_copy_in,
            (unsigned long long)host.ram_copy_out, (unsigned long long)host.fs_read,
            (unsigned long)host.l1.used, (unsigned long)host.l1.size, (unsigned long)host.l2.used,
            (unsigned long)host.l2.size, (unsigned long)host.ram.used, (unsigned long)host.ram.size,
            (unsigned long long)host.forks, (unsigned long long)host.barriers);
}

void pmsis_exit(int err)
{
    int s, left = 0;
    fflush(stdout);
    for (s = 0; s < MAX_OPS; s++)
        if (host.ops[s].kind != OP_FREE) {
            fprintf(stderr, "pmsis-host: error: %s of %lu bytes never waited for\n",
                    host.ops[s].call, (unsigned long)host.ops[s].bytes);
            left++;
        }
    summary();
    exit(left ? 3 : err);
}

int pmsis_kickoff(void *arg)
{
    void (*fc_main)(void) = (void (*)(void))arg;
    arenas_init();
    fc_main();
    pmsis_exit(0); /* fc_main returned without pmsis_exit() */
    return 0;
}

int pi_core_id(void) { return my_ctx == CTX_FC ? 0 : my_core; }

/* The configurations' first word says which device they configure. */
enum { CONF_RAM = 0x52414d31, CONF_FLASH = 0x464c5331 };

#define CONF_INIT(fn, conf_struct, kind)                                                           \
    void fn(struct conf_struct *conf)                                                              \
    {                                                                                              \
        memset(conf, 0, sizeof *conf);                                                             \
        conf->opaque[0] = kind;                                                                    \
    }
CONF_INIT(pi_hyperram_conf_init, pi_hyperram_conf, CONF_RAM)
CONF_INIT(pi_aps25xxxn_conf_init, pi_aps25xxxn_conf, CONF_RAM)
CONF_INIT(pi_hyperflash_conf_init, pi_hyperflash_conf, CONF_FLASH)
CONF_INIT(pi_mx25u51245g_conf_init, pi_mx25u51245g_conf, CONF_FLASH)

void pi_open_from_conf(struct pi_device *device, void *conf)
{
    enter("pi_open_from_conf", 0);
    memset(device, 0, sizeof *device);
    device->config = conf;
}

/* Opens `device` as `kind` if its configuration is of the `conf` kind. */
static int32_t dev_open(struct pi_device *device, devstate_t *st, dev_kind_t kind, uint32_t conf,
                        const char *call)
{
    enter(call, 0);
    if (!device->config || (conf && *(const uint32_t *)device->config != conf))
        fail(call, "the device was not configured for it (pi_open_from_conf)");
    st->kind = kind;
    device->data = st;
    return 0;
}

/* The device's state if it is an opened `kind`. */
static void dev_check(const struct pi_device *device, dev_kind_t kind, const char *call)
{
    if (!device || !device->data || ((const devstate_t *)device->data)->kind != kind)
        fail(call, "the device is not an opened %s",
             kind == DEV_RAM       ? "RAM"
             : kind == DEV_CLUSTER ? "cluster"
                                   : "flash/fs");
}

int32_t pi_ram_open(struct pi_device *device)
{
    return dev_open(device, &host.ram_dev, DEV_RAM, CONF_RAM, "pi_ram_open");
}

int32_t pi_flash_open(struct pi_device *device)
{
    return dev_open(device, &host.flash_dev, DEV_FLASH, CONF_FLASH, "pi_flash_open");
}

/* ---- Readfs --------------------------------------------------------------------- */

void pi_fs_conf_init(struct pi_fs_conf *conf)
{
    memset(conf, 0, sizeof *conf);
    conf->type = PI_FS_READ_ONLY;
}

static void load_file(rfile_t *f)
{
    FILE *in = fopen(f->path, "rb");
    long n = -1;
    if (in && fseek(in, 0, SEEK_END) == 0) n = ftell(in);
    if (n < 0 || fseek(in, 0, SEEK_SET) != 0)
        fail("pi_fs_mount", "cannot read the readfs file '%s'", f->path);
    f->bytes = (size_t)n;
    f->data = malloc(f->bytes ? f->bytes : 1);
    if (!f->data || fread(f->data, 1, f->bytes, in) != f->bytes)
        fail("pi_fs_mount", "cannot read the readfs file '%s'", f->path);
    fclose(in);
    f->name = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
}

int32_t pi_fs_mount(struct pi_device *device)
{
    const struct pi_fs_conf *conf = (const struct pi_fs_conf *)device->config;
    const char *list = getenv("PMSIS_HOST_READFS");
    enter("pi_fs_mount", 0);
    if (!conf || conf->type != PI_FS_READ_ONLY)
        fail("pi_fs_mount", "only the read-only file system (readfs) is emulated");
    dev_check(conf->flash, DEV_FLASH, "pi_fs_mount");
    while (list && *list) {
        size_t n = strcspn(list, " ");
        if (n && host.nfiles == MAX_FILES) fail("pi_fs_mount", "more than %d files", MAX_FILES);
        if (n && n < sizeof host.files[0].path) {
            rfile_t *f = &host.files[host.nfiles++];
            memcpy(f->path, list, n);
            f->path[n] = 0;
            load_file(f);
        }
        list += n + (list[n] == ' ');
    }
    host.fs_dev.kind = DEV_FS;
    device->data = &host.fs_dev;
    host.mounted = 1;
    return 0;
}

void pi_fs_unmount(struct pi_device *device)
{
    enter("pi_fs_unmount", 0);
    dev_check(device, DEV_FS, "pi_fs_unmount");
    host.mounted = 0;
}

pi_fs_file_t *pi_fs_open(struct pi_device *device, const char *file, int flags)
{
    int i;
    enter("pi_fs_open", 0);
    dev_check(device, DEV_FS, "pi_fs_open");
    (void)flags;
    for (i = 0; i < host.nfiles; i++)
        if (!strcmp(host.files[i].name, file)) {
            host.handles[i].file = &host.files[i];
            return &host.handles[i];
        }
    return NULL;
}

void pi_fs_close(pi_fs_file_t *file)
{
    enter("pi_fs_close", 0);
    if (!file || !file->file) fail("pi_fs_close", "not an open file");
}

void pi_cl_fs_copy(pi_fs_file_t *file, uint32_t index, void *buffer, uint32_t size, int32_t ext2loc,
                   pi_cl_fs_req_t *req)
{
    op_t o;
    enter("pi_cl_fs_copy", 1);
    if (!host.mounted || !file || !file->file) fail("pi_cl_fs_copy", "not an open readfs file");
    if (!ext2loc) fail("pi_cl_fs_copy", "the readfs is read-only (ext2loc 0)");
    if (index > file->file->bytes || size > file->file->bytes - index)
        fail("pi_cl_fs_copy", "bytes [%lu, +%lu) are outside '%s'", (unsigned long)index,
             (unsigned long)size, file->file->name);
    check_l2("pi_cl_fs_copy", "buffer", buffer, size);
    o = (op_t){OP_FS, 0, "pi_cl_fs_copy", buffer, file->file->data + index, size, size, size,
               size,  0, &host.fs_read};
    issue(&o, req->opaque);
}

int32_t pi_cl_fs_wait(pi_cl_fs_req_t *req)
{
    enter("pi_cl_fs_wait", 1);
    land(req->opaque, OP_FS, "pi_cl_fs_wait");
    return 0;
}

/* ---- RAM ------------------------------------------------------------------------ */

static void ram_check(const char *call, uint32_t addr, size_t n)
{
    if (addr > RAM_BYTES || !in_chunk(&host.ram, ram_mem + addr, n))
        fail(call, "RAM range [%lu, +%lu) is not inside a pi_cl_ram_alloc() chunk",
             (unsigned long)addr, (unsigned long)n);
}

void pi_cl_ram_alloc(struct pi_device *device, uint32_t size, pi_cl_ram_alloc_req_t *req)
{
    uint8_t *p;
    enter("pi_cl_ram_alloc", 1);
    dev_check(device, DEV_RAM, "pi_cl_ram_alloc");
    p = arena_alloc(&host.ram, size, "pi_cl_ram_alloc");
    req->opaque[0] = REQ_MAGIC;
    req->opaque[1] = p ? 0 : 1;
    req->opaque[2] = p ? (uint32_t)(p - ram_mem) : 0;
}

int32_t pi_cl_ram_alloc_wait(pi_cl_ram_alloc_req_t *req, uint32_t *addr)
{
    enter("pi_cl_ram_alloc_wait", 1);
    if (req->opaque[0] != REQ_MAGIC) fail("pi_cl_ram_alloc_wait", "no pi_cl_ram_alloc() request");
    req->opaque[0] = 0;
    *addr = req->opaque[2];
    return req->opaque[1] ? -1 : 0;
}

/* An asynchronous RAM transfer: to_ram writes the RAM from the L2 buffer. */
static void ram_op(struct pi_device *device, uint32_t ram_addr, void *buf, uint32_t size,
                   int to_ram, uint64_t *counter, const char *call, pi_cl_ram_req_t *req)
{
    op_t o;
    enter(call, 1);
    dev_check(device, DEV_RAM, call);
    ram_check(call, ram_addr, size);
    check_l2(call, "L2 buffer", buf, size);
    memset(&o, 0, sizeof o);
    o.kind = OP_RAM;
    o.call = call;
    o.dst = to_ram ? ram_mem + ram_addr : (uint8_t *)buf;
    o.src = to_ram ? (const uint8_t *)buf : ram_mem + ram_addr;
    o.bytes = o.row = o.dst_stride = o.src_stride = size;
    o.counter = counter;
    issue(&o, req->opaque);
}

void pi_cl_ram_read(struct pi_device *device, uint32_t pi_ram_addr, void *addr, uint32_t size,
                    pi_cl_ram_req_t *req)
{
    ram_op(device, pi_ram_addr, addr, size, 0, &host.ram_read, "pi_cl_ram_read", req);
}

void pi_cl_ram_write(struct pi_device *device, uint32_t pi_ram_addr, void *addr, uint32_t size,
                     pi_cl_ram_req_t *req)
{
    ram_op(device, pi_ram_addr, addr, size, 1, &host.ram_write, "pi_cl_ram_write", req);
}

void pi_cl_ram_copy(struct pi_device *device, uint32_t pi_ram_addr, void *addr, uint32_t size,
                    int ext2loc, pi_cl_ram_req_t *req)
{
    ram_op(device, pi_ram_addr, addr, size, !ext2loc,
           ext2loc ? &host.ram_copy_out : &host.ram_copy_in,
           ext2loc ? "pi_cl_ram_copy (RAM to L2)" : "pi_cl_ram_copy (L2 to RAM)", req);
}

/* The three waits are the same here; each checks its request is of its call. */
static void ram_wait(pi_cl_ram_req_t *req, const char *call, const char *of)
{
    enter(call, 1);
    if (req->opaque[0] == REQ_MAGIC && req->opaque[1] < MAX_OPS &&
        host.ops[req->opaque[1]].kind == OP_RAM &&
        strncmp(host.ops[req->opaque[1]].call, of, strlen(of)))
        fail(call, "waits for a %s request", host.ops[req->opaque[1]].call);
    land(req->opaque, OP_RAM, call);
}

void pi_cl_ram_read_wait(pi_cl_ram_req_t *req)
{
    ram_wait(req, "pi_cl_ram_read_wait", "pi_cl_ram_read");
}
void pi_cl_ram_write_wait(pi_cl_ram_req_t *req)
{
    ram_wait(req, "pi_cl_ram_write_wait", "pi_cl_ram_write");
}
void pi_cl_ram_copy_wait(pi_cl_ram_req_t *req)
{
    ram_wait(req, "pi_cl_ram_copy_wait", "pi_cl_ram_copy");
}

/* ---- Cluster -------------------------------------------------------------------- */

void pi_cluster_conf_init(struct pi_cluster_conf *conf) { memset(conf, 0, sizeof *conf); }

int pi_cluster_open(struct pi_device *device)
{
    return dev_open(device, &host.cluster_dev, DEV_CLUSTER, 0, "pi_cluster_open");
}

int pi_cluster_close(struct pi_device *device)
{
    enter("pi_cluster_close", 0);
    dev_check(device, DEV_CLUSTER, "pi_cluster_close");
    host.cluster_dev.kind = DEV_NONE;
    return 0;
}

struct pi_cluster_task *pi_cluster_task(struct pi_cluster_task *task, void (*entry)(void *),
                                        void *arg)
{
    enter("pi_cluster_task", 0);
    memset(task, 0, sizeof *task);
    task->entry = entry;
    task->arg = arg;
    return task;
}

/* The task runs here, on this thread as the cluster's master core; its
 * stacks (master + the team's) come first out of L1. */
int pi_cluster_send_task_to_cl(struct pi_device *device, struct pi_cluster_task *task)
{
    int cores = task->nb_cores > 0 ? task->nb_cores : TEAM_CORES;
    size_t stacks;
    enter("pi_cluster_send_task_to_cl", 0);
    if (my_ctx != CTX_FC) fail("pi_cluster_send_task_to_cl", "called from the cluster");
    dev_check(device, DEV_CLUSTER, "pi_cluster_send_task_to_cl");
    if (!task->entry || !task->stack_size || !task->slave_stack_size)
        fail("pi_cluster_send_task_to_cl", "the task has no entry or no stack sizes");
    if (cores > TEAM_CORES)
        fail("pi_cluster_send_task_to_cl", "%d cores (at most %d)", cores, TEAM_CORES);
    stacks = task->stack_size + (size_t)task->slave_stack_size * (size_t)(cores - !MASTER_CORE);
    if (!task->stacks && stacks > host.stacks) {
        if (host.l1.count) fail("pi_cluster_send_task_to_cl", "larger stacks after L1 allocations");
        if (!arena_alloc(&host.l1, stacks, "cluster stacks"))
            fail("pi_cluster_send_task_to_cl", "the stacks (%lu bytes) do not fit L1",
                 (unsigned long)stacks);
        host.stacks = stacks;
    }
    my_ctx = CTX_CLUSTER;
    my_core = MASTER_CORE;
    task->entry(task->arg);
    my_ctx = CTX_FC;
    my_core = 0;
    return 0;
}

void *pi_cl_l1_malloc(struct pi_device *device, uint32_t size)
{
    enter("pi_cl_l1_malloc", 1);
    dev_check(device, DEV_CLUSTER, "pi_cl_l1_malloc");
    return arena_alloc(&host.l1, size, "pi_cl_l1_malloc");
}

void pi_cl_l2_malloc(int size, pi_cl_alloc_req_t *req)
{
    enter("pi_cl_l2_malloc", 1);
    req->chunk = size > 0 ? arena_alloc(&host.l2, (size_t)size, "pi_cl_l2_malloc") : NULL;
    req->opaque[0] = REQ_MAGIC;
}

void *pi_cl_l2_malloc_wait(pi_cl_alloc_req_t *req)
{
    enter("pi_cl_l2_malloc_wait", 1);
    if (req->opaque[0] != REQ_MAGIC) fail("pi_cl_l2_malloc_wait", "no pi_cl_l2_malloc() request");
    req->opaque[0] = 0;
    return req->chunk;
}

void *pi_l2_malloc(int size)
{
    enter("pi_l2_malloc", 0);
    return size > 0 ? arena_alloc(&host.l2, (size_t)size, "pi_l2_malloc") : NULL;
}

/* ---- The team ------------------------------------------------------------------- */

typedef struct member {
    int core;
    void (*entry)(void *);
    void *arg;
} member_t;

static void *member_main(void *p)
{
    member_t *m = (member_t *)p;
    my_ctx = CTX_CLUSTER;
    my_core = m->core;
    my_in_team = 1;
    m->entry(m->arg);
    return NULL;
}

void pi_cl_team_fork(int nb_cores, void (*entry)(void *), void *arg)
{
    pthread_t threads[TEAM_CORES];
    member_t members[TEAM_CORES];
    int n = nb_cores > 0 ? nb_cores : TEAM_CORES, first = MASTER_CORE == 0, i;
    enter("pi_cl_team_fork", 1);
    if (my_in_team) fail("pi_cl_team_fork", "called inside a fork");
    if (my_core != MASTER_CORE) fail("pi_cl_team_fork", "called by core %d", my_core);
    if (n > TEAM_CORES) fail("pi_cl_team_fork", "%d cores (at most %d)", n, TEAM_CORES);
    host.forks++;
    pthread_barrier_init(&host.barrier, NULL, (unsigned)n);
    for (i = first; i < n; i++) { /* GAP8: core 0 is the caller */
        members[i] = (member_t){i, entry, arg};
        if (pthread_create(&threads[i], NULL, member_main, &members[i]))
            fail("pi_cl_team_fork", "cannot start core %d", i);
    }
    if (first) {
        my_in_team = 1;
        entry(arg);
        my_in_team = 0;
    }
    for (i = first; i < n; i++) pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&host.barrier);
}

void pi_cl_team_barrier(void)
{
    enter("pi_cl_team_barrier", 1);
    if (!my_in_team) fail("pi_cl_team_barrier", "called outside pi_cl_team_fork()");
    pthread_mutex_lock(&host.lock);
    host.barriers += my_core == 0;
    pthread_mutex_unlock(&host.lock);
    pthread_barrier_wait(&host.barrier);
}

/* ---- Cluster DMA ---------------------------------------------------------------- */

/* ext: L2 (2-D: rows of `length` bytes `stride` apart); loc: L1, dense. */
static void dma(uint32_t ext, uint32_t loc, uint32_t size, uint32_t stride, uint32_t length,
                pi_cl_dma_dir_e dir, pi_cl_dma_cmd_t *cmd, const char *call)
{
    uint8_t *e = chip_ptr(ext, call), *l = chip_ptr(loc, call);
    size_t rows = length ? (size + length - 1) / length : 0, espan;
    op_t o;
    enter(call, 1);
    if (!size || !length || (rows > 1 && stride < length))
        fail(call, "size %lu, length %lu, stride %lu", (unsigned long)size, (unsigned long)length,
             (unsigned long)stride);
    if (dir != PI_CL_DMA_DIR_EXT2LOC && dir != PI_CL_DMA_DIR_LOC2EXT)
        fail(call, "direction %d", (int)dir);
    espan = (rows - 1) * stride + (size - (rows - 1) * length);
    check_l1(call, l, size);
    check_l2(call, "ext side", e, espan);
    memset(&o, 0, sizeof o);
    o.kind = OP_DMA;
    o.call = call;
    o.bytes = size;
    o.row = length;
    o.dst = dir == PI_CL_DMA_DIR_EXT2LOC ? l : e;
    o.src = dir == PI_CL_DMA_DIR_EXT2LOC ? e : l;
    o.dst_stride = dir == PI_CL_DMA_DIR_EXT2LOC ? length : stride;
    o.src_stride = dir == PI_CL_DMA_DIR_EXT2LOC ? stride : length;
    o.counter = &host.dma_bytes;
    pthread_mutex_lock(&host.lock);
    host.dma_cmds++;
    host.dma_2d += length != size;
    pthread_mutex_unlock(&host.lock);
    issue(&o, cmd->opaque);
    cmd->id = (int)cmd->opaque[2];
}

void pi_cl_dma_cmd(uint32_t ext, uint32_t loc, uint32_t size, pi_cl_dma_dir_e dir,
                   pi_cl_dma_cmd_t *cmd)
{
    dma(ext, loc, size, size, size, dir, cmd, "pi_cl_dma_cmd");
}

void pi_cl_dma_cmd_2d(uint32_t ext, uint32_t loc, uint32_t size, uint32_t stride, uint32_t length,
                      pi_cl_dma_dir_e dir, pi_cl_dma_cmd_t *cmd)
{
    dma(ext, loc, size, stride, length, dir, cmd, "pi_cl_dma_cmd_2d");
}

void pi_cl_dma_cmd_wait(pi_cl_dma_cmd_t *cmd)
{
    enter("pi_cl_dma_cmd_wait", 1);
    land(cmd->opaque, OP_DMA, "pi_cl_dma_cmd_wait");
}

/* ---- Performance counters (per core; counts, not cycles) ------------------------- */

void pi_perf_conf(unsigned int events)
{
    if (!(events & (1u << PI_PERF_CYCLES)))
        fail("pi_perf_conf", "events 0x%x without PI_PERF_CYCLES", events);
}
void pi_perf_reset(void) { my_perf.count = 0; }
void pi_perf_start(void) { my_perf.started = 1; }
void pi_perf_stop(void) { my_perf.started = 0; }
unsigned int pi_perf_read(int id)
{
    if (id != PI_PERF_CYCLES) fail("pi_perf_read", "event %d", id);
    return (unsigned int)my_perf.count;
}
