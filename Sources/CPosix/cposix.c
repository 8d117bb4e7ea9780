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

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

int puente_write_all_nosigpipe(int fd, const void *bytes, size_t count) {
    // SIGPIPE from a write is sent to the writing thread: blocked here, it stays pending and
    // the write fails with EPIPE instead of killing the process; a SIGPIPE this write caused
    // is then taken back before the mask is restored.
    sigset_t pipe_only, old, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    const char *next = bytes;
    int result = 0, saved = 0;
    while (count > 0) {
        ssize_t written = write(fd, next, count);
        if (written < 0) {
            if (errno == EINTR) continue;
            result = -1;
            saved = errno;
            break;
        }
        next += written;
        count -= (size_t)written;
    }
    if (result != 0 && saved == EPIPE && !was_pending) {
        struct timespec none = {0, 0};
        sigtimedwait(&pipe_only, NULL, &none);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (result != 0) errno = saved;
    return result;
}

#if defined(__GLIBC__)
#include <malloc.h>
void puente_release_free_memory(void) { malloc_trim(0); }
#else
void puente_release_free_memory(void) {}
#endif

#include <sqlite3.h>

int puente_sqlite_configure(void) {
    // Before SQLite's first use in the process (later calls are refused with SQLITE_MISUSE,
    // which changes nothing). Multi-thread mode: no mutex around each connection's calls —
    // GRDB already serializes every connection's use, the mode its documentation requires.
    // No memory statistics: they take a global mutex on every allocation.
    int result = sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    if (result == SQLITE_OK) result = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return result;
}
