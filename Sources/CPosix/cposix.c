#define _GNU_SOURCE
#include <unistd.h>
#include "cposix.h"

#if defined(__linux__)
int puente_syncfs(int fd) { return syncfs(fd); }
int puente_has_syncfs(void) { return 1; }
#else
int puente_syncfs(int fd) { return fsync(fd); }
int puente_has_syncfs(void) { return 0; }
#endif

#if defined(__linux__)
#include <sys/vfs.h>
long long puente_filesystem_magic(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return (long long)info.f_type;
}
#else
long long puente_filesystem_magic(const char *path) { (void)path; return -1; }
#endif
