/* bsp/fs.h (tests only): the file-system calls of the PMSIS subset (pmsis.h). */
#ifndef DORY_TEST_BSP_FS_H
#define DORY_TEST_BSP_FS_H
#include "pmsis.h"
typedef enum { PI_FS_READ_ONLY = 0, PI_FS_HOST = 1 } pi_fs_type_e;
struct pi_fs_conf {
    pi_fs_type_e type;
    struct pi_device *flash;
    char *partition_name;
    int auto_format;
    void *api;
};
typedef struct pi_fs_file_s pi_fs_file_t;
typedef struct pi_cl_fs_req_s {
    uint32_t opaque[24];
} pi_cl_fs_req_t;
int32_t pi_flash_open(struct pi_device *device);
void pi_fs_conf_init(struct pi_fs_conf *conf);
int32_t pi_fs_mount(struct pi_device *device);
void pi_fs_unmount(struct pi_device *device);
pi_fs_file_t *pi_fs_open(struct pi_device *device, const char *file, int flags);
void pi_fs_close(pi_fs_file_t *file);
void pi_cl_fs_copy(pi_fs_file_t *file, uint32_t index, void *buffer, uint32_t size, int32_t ext2loc,
                   pi_cl_fs_req_t *req);
int32_t pi_cl_fs_wait(pi_cl_fs_req_t *req);
#endif
