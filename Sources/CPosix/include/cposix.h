#ifndef PUENTE_CPOSIX_H
#define PUENTE_CPOSIX_H

/// Flushes the whole file system that holds `fd` (Linux `syncfs`): one call makes a batch of
/// files durable. Where there is no syncfs, `fsync(fd)` (the caller flushes each file then).
/// Returns 0, or -1 with errno set.
int puente_syncfs(int fd);

/// 1 when `puente_syncfs` flushes the whole file system, 0 when it only flushes `fd`.
int puente_has_syncfs(void);

/// The Linux `statfs` file system type (magic number) of the file system holding `path`;
/// -1 when it cannot be told (an error, or not Linux).
long long puente_filesystem_magic(const char *path);

#include <stddef.h>

/// Writes all `count` bytes to `fd` (a pipe to a child process) without SIGPIPE: when the
/// reader is gone, returns -1 with errno EPIPE instead of killing the process.
/// Returns 0, or -1 with errno set.
int puente_write_all_nosigpipe(int fd, const void *bytes, size_t count);

/// Gives the memory the allocator holds free back to the system (glibc `malloc_trim`): a
/// long-running `run --watch` calls it between cycles, so what one cycle's store connection
/// cached does not stay resident while the job waits. Does nothing elsewhere.
void puente_release_free_memory(void);

/// Sets SQLite up for the store before its first use: multi-thread mode (GRDB serializes each
/// connection's use; no mutex per call) and no memory statistics (a global mutex per
/// allocation). SQLITE_OK, or SQLITE_MISUSE when SQLite was already in use (nothing changed).
int puente_sqlite_configure(void);

#endif
