#ifndef CSYSTEMSHIM_H
#define CSYSTEMSHIM_H
// C library calls Swift's Glibc module does not import, or that must be C (signal handlers),
// behind plain C functions.
#include <stddef.h>

/// Asks the C allocator to give freed memory back to the system once more than `bytes` are free
/// at the top of a heap (glibc: mallopt(M_TRIM_THRESHOLD, bytes)). Returns 1 when applied, 0 when
/// the C library has no such setting (non-glibc systems) or refused it.
int sou_set_malloc_trim_threshold(size_t bytes);

/// Installs handlers for SIGINT, SIGTERM and SIGHUP (each one not ignored at the time, so that
/// `nohup` and background jobs keep their behaviour) that unlink every path registered with
/// sou_cleanup_register, then end the process with the signal's default action. Only
/// async-signal-safe calls run in the handler (kill, waitpid, unlink, sigaction, raise). Idempotent.
void sou_cleanup_install(void);

/// Registers `path` for removal by the handlers (copied into one of a few fixed slots; paths of
/// PATH_MAX bytes or more are not registered). Returns 1 when registered, 0 when not.
int sou_cleanup_register(const char *path);

/// Forgets a registered `path` (no-op when not registered).
void sou_cleanup_unregister(const char *path);

/// Registers a child process (pid > 0) that the handlers first send the same signal and wait
/// for (kill, waitpid), before unlinking the registered paths: a child writing one of them is
/// gone before it is removed. One child at a time; 0 forgets it.
void sou_cleanup_set_child(int pid);

#endif
