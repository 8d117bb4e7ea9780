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
