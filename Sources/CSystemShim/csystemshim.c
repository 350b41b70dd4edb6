#include "csystemshim.h"
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int sou_set_malloc_trim_threshold(size_t bytes) {
#if defined(__GLIBC__)
    if (bytes > (size_t)INT_MAX) return 0;
    return mallopt(M_TRIM_THRESHOLD, (int)bytes) == 1 ? 1 : 0;
#else
    (void)bytes;
    return 0;
#endif
}

// MARK: - Removing temporary files on a signal
// (kill and waitpid, which the handler also calls for a registered child, are async-signal-safe)

enum { cleanup_slots = 4 };
// A slot's path is complete before `used` is set, and `used` is cleared before the path
// changes: the handler, which may interrupt either, reads only complete paths.
static char cleanup_paths[cleanup_slots][PATH_MAX];
static volatile sig_atomic_t cleanup_used[cleanup_slots];

static volatile sig_atomic_t cleanup_child = 0;

static void cleanup_and_die(int signal_number) {
    pid_t child = (pid_t)cleanup_child;
    if (child > 0) {
        kill(child, signal_number);
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
    }
    for (int i = 0; i < cleanup_slots; i++) {
        if (cleanup_used[i]) unlink(cleanup_paths[i]);
    }
    // SA_RESETHAND restored the default action on entry; the signal is blocked until this
    // handler returns, then it ends the process as if no handler had been installed.
    raise(signal_number);
}

void sou_cleanup_install(void) {
    static int installed = 0;
    if (installed) return;
    installed = 1;
    const int signals[] = { SIGINT, SIGTERM, SIGHUP };
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = cleanup_and_die;
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < 3; i++) sigaddset(&action.sa_mask, signals[i]);
    for (int i = 0; i < 3; i++) {
        struct sigaction current;
        if (sigaction(signals[i], NULL, &current) != 0) continue;
        if (current.sa_handler == SIG_IGN) continue;
        sigaction(signals[i], &action, NULL);
    }
}

int sou_cleanup_register(const char *path) {
    size_t length = strlen(path);
    if (length >= PATH_MAX) return 0;
    for (int i = 0; i < cleanup_slots; i++) {
        if (cleanup_used[i]) continue;
        memcpy(cleanup_paths[i], path, length + 1);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        cleanup_used[i] = 1;
        return 1;
    }
    return 0;
}

void sou_cleanup_set_child(int pid) {
    cleanup_child = pid > 0 ? pid : 0;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

void sou_cleanup_unregister(const char *path) {
    for (int i = 0; i < cleanup_slots; i++) {
        if (cleanup_used[i] && strcmp(cleanup_paths[i], path) == 0) {
            cleanup_used[i] = 0;
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
        }
    }
}
