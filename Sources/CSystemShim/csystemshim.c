#define _GNU_SOURCE   // qsort_r
#include "csystemshim.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/uio.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#include <sched.h>
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

int sou_set_malloc_growth(size_t mmap_threshold, size_t top_pad) {
#if defined(__GLIBC__)
    if (mmap_threshold > (size_t)INT_MAX || top_pad > (size_t)INT_MAX) return 0;
    int a = mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold);
    int b = mallopt(M_TOP_PAD, (int)top_pad);
    return a == 1 && b == 1 ? 1 : 0;
#else
    (void)mmap_threshold;
    (void)top_pad;
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
static volatile sig_atomic_t cleanup_progress_line = 0;

void sou_cleanup_set_progress_line(int shown) {
    cleanup_progress_line = shown ? 1 : 0;
}

static void cleanup_and_die(int signal_number) {
    if (cleanup_progress_line) {
        static const char erase[] = "\r\033[K";
        ssize_t ignored = write(STDERR_FILENO, erase, sizeof erase - 1);
        (void)ignored;
    }
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

// MARK: - Listing a folder

static int compare_names(const void *a, const void *b, void *names) {
    const sou_folder_entry *x = a, *y = b;
    const char *base = names;
    size_t n = x->name_length < y->name_length ? x->name_length : y->name_length;
    int c = memcmp(base + x->name_offset, base + y->name_offset, n);
    if (c != 0) return c;
    return x->name_length < y->name_length ? -1 : x->name_length > y->name_length ? 1 : 0;
}

/// Sorts entries by the bytes of their names: a least-significant-digit radix sort of the first
/// eight bytes (packed big-endian, passes over a byte that all names share skipped), then runs of
/// names sharing those eight bytes by a comparison sort. A folder of thousands of names costs a
/// few linear passes instead of a memcmp call per comparison. Returns -1 when out of memory.
static int sort_entries(sou_folder_entry *entries, size_t count, const char *names) {
    if (count < 2) return 0;
    typedef struct { unsigned long long key; size_t index; } keyed;
    keyed *a = malloc(count * sizeof *a), *b = malloc(count * sizeof *b);
    sou_folder_entry *sorted = malloc(count * sizeof *sorted);
    if (!a || !b || !sorted) { free(a); free(b); free(sorted); return -1; }
    for (size_t i = 0; i < count; i++) {
        const unsigned char *name = (const unsigned char *)names + entries[i].name_offset;
        size_t n = entries[i].name_length < 8 ? entries[i].name_length : 8;
        unsigned long long key = 0;
        // bounds: n ≤ name_length bytes of the name
        for (size_t k = 0; k < n; k++) key |= (unsigned long long)name[k] << (56 - 8 * k);
        a[i].key = key;
        a[i].index = i;
    }
    for (int shift = 0; shift < 64; shift += 8) {
        size_t histogram[256] = {0};
        for (size_t i = 0; i < count; i++) histogram[(a[i].key >> shift) & 0xFF]++;
        if (histogram[(a[0].key >> shift) & 0xFF] == count) continue;   // every name has this byte
        size_t position = 0;
        for (int v = 0; v < 256; v++) { size_t h = histogram[v]; histogram[v] = position; position += h; }
        for (size_t i = 0; i < count; i++) b[histogram[(a[i].key >> shift) & 0xFF]++] = a[i];   // stable
        keyed *t = a; a = b; b = t;
    }
    for (size_t i = 0; i < count; i++) sorted[i] = entries[a[i].index];
    // names with equal first eight bytes (a shorter name's missing bytes count as 0): by all bytes
    for (size_t start = 0; start < count;) {
        size_t end = start + 1;
        while (end < count && a[end].key == a[start].key) end++;
        if (end - start > 1) qsort_r(sorted + start, end - start, sizeof *sorted, compare_names, (void *)names);
        start = end;
    }
    memcpy(entries, sorted, count * sizeof *entries);
    free(a);
    free(b);
    free(sorted);
    return 0;
}

typedef struct stat_job {
    int folder_fd;
    const char *names;
    sou_folder_entry *entries;
    size_t begin, end;
} stat_job;

static void stat_entries(const stat_job *job) {
    for (size_t i = job->begin; i < job->end; i++) {
        sou_folder_entry *e = &job->entries[i];
        if (e->kind != SOU_ENTRY_UNREADABLE) continue;   // hidden, or a folder by its d_type
        const char *name = job->names + e->name_offset;
        struct stat st;
        if (fstatat(job->folder_fd, name, &st, 0) != 0) {
            e->error = errno;
            struct stat l;
            if (e->error == ENOENT && fstatat(job->folder_fd, name, &l, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(l.st_mode)) {
                e->dangling = 1;
            }
            continue;
        }
        switch (st.st_mode & S_IFMT) {
        case S_IFDIR: e->kind = SOU_ENTRY_FOLDER; break;
        case S_IFREG:
            e->kind = SOU_ENTRY_FILE;
            e->size = (long long)st.st_size;
            e->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + (long long)st.st_mtim.tv_nsec;
            break;
        case S_IFIFO: e->kind = SOU_ENTRY_FIFO; break;
        case S_IFCHR: e->kind = SOU_ENTRY_CHARACTER_DEVICE; break;
        case S_IFBLK: e->kind = SOU_ENTRY_BLOCK_DEVICE; break;
        case S_IFSOCK: e->kind = SOU_ENTRY_SOCKET; break;
        default: e->kind = SOU_ENTRY_OTHER; break;
        }
    }
}

void sou_folder_listing_free(sou_folder_listing *listing) {
    free(listing->names);
    free(listing->entries);
    listing->names = NULL;
    listing->entries = NULL;
    listing->count = 0;
}

/// Entries are read from the folder in batches of this many; a batch is stat'ed (by whichever
/// thread takes it first) while the next ones are read. The second thread starts with the first
/// full batch (a folder smaller than one batch is stat'ed on the reading thread alone).
enum { batch_size = 256 };

typedef struct entry_batch {
    struct entry_batch *next_pending;   ///< the queue of batches not yet taken
    size_t count;
    size_t names_length, names_capacity;
    char *names;
    sou_folder_entry entries[batch_size];
} entry_batch;

/// Batches read and not yet stat'ed, shared by the reading thread and the stat thread.
typedef struct stat_queue {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    entry_batch *head, *tail;
    int done;   ///< no batch will be added any more
    int folder_fd;
} stat_queue;

static void stat_batch(const stat_queue *q, entry_batch *b) {
    stat_job job = { q->folder_fd, b->names, b->entries, 0, b->count };
    stat_entries(&job);
}

/// Takes the next batch to stat; with `wait`, waits for one until the queue is done. NULL: none.
static entry_batch *take_batch(stat_queue *q, int wait) {
    pthread_mutex_lock(&q->lock);
    while (wait && !q->head && !q->done) pthread_cond_wait(&q->ready, &q->lock);
    entry_batch *b = q->head;
    if (b) {
        q->head = b->next_pending;
        if (!q->head) q->tail = NULL;
    }
    pthread_mutex_unlock(&q->lock);
    return b;
}

static void *stat_queue_thread(void *queue) {
    stat_queue *q = queue;
    entry_batch *b;
    while ((b = take_batch(q, 1)) != NULL) stat_batch(q, b);
    return NULL;
}

static void publish_batch(stat_queue *q, entry_batch *b) {
    pthread_mutex_lock(&q->lock);
    b->next_pending = NULL;
    if (q->tail) q->tail->next_pending = b; else q->head = b;
    q->tail = b;
    pthread_cond_signal(&q->ready);
    pthread_mutex_unlock(&q->lock);
}

static void finish_queue(stat_queue *q) {
    pthread_mutex_lock(&q->lock);
    q->done = 1;
    pthread_cond_broadcast(&q->ready);
    pthread_mutex_unlock(&q->lock);
}

static entry_batch *new_batch(void) {
    entry_batch *b = malloc(sizeof *b);
    if (!b) return NULL;
    b->next_pending = NULL;
    b->count = 0;
    b->names_length = 0;
    b->names_capacity = 4096;
    b->names = malloc(b->names_capacity);
    if (!b->names) { free(b); return NULL; }
    return b;
}

int sou_list_folder(const char *path, int include_hidden, sou_folder_listing *out, int *stage) {
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        struct stat st;
        if (stat(path, &st) != 0) { *stage = 1; return errno; }
        *stage = 2;
        return e;
    }
    struct stat folder;
    if (fstat(fd, &folder) != 0) { int e = errno; close(fd); *stage = 1; return e; }
    out->device = (unsigned long long)folder.st_dev;
    out->inode = (unsigned long long)folder.st_ino;
    DIR *dir = fdopendir(fd);
    if (!dir) { int e = errno; close(fd); *stage = 2; return e; }

    // every batch in reading order (grown by doubling)
    size_t batch_count = 0, batch_capacity = 16;
    entry_batch **batches = malloc(batch_capacity * sizeof *batches);
    stat_queue q = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, dirfd(dir) };
    pthread_t thread;
    int threaded = 0, may_thread = sysconf(_SC_NPROCESSORS_ONLN) > 1;
    entry_batch *current = NULL;
    char *names = NULL;
    sou_folder_entry *entries = NULL;
    if (!batches) goto out_of_memory;
    struct dirent *d;
    while ((d = readdir(dir)) != NULL) {
        const char *name = d->d_name;
        if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
        if (!current || current->count == batch_size) {
            if (current) {
                // the full batch is stat'ed by the other thread while this one reads on
                if (!threaded && may_thread && pthread_create(&thread, NULL, stat_queue_thread, &q) == 0) threaded = 1;
                publish_batch(&q, current);
            }
            if (batch_count == batch_capacity) {
                entry_batch **n = realloc(batches, batch_capacity * 2 * sizeof *batches);
                if (!n) goto out_of_memory;
                batches = n;
                batch_capacity *= 2;
            }
            current = new_batch();
            if (!current) goto out_of_memory;
            batches[batch_count++] = current;
        }
        size_t length = strlen(name);
        // bounds: the name and its NUL fit in the batch's names (grown to at least twice the needed size)
        if (current->names_length + length + 1 > current->names_capacity) {
            size_t c = (current->names_length + length + 1) * 2;
            char *n = realloc(current->names, c);
            if (!n) goto out_of_memory;
            current->names = n;
            current->names_capacity = c;
        }
        memcpy(current->names + current->names_length, name, length + 1);
        // bounds: count < batch_size (a full batch was replaced above)
        sou_folder_entry *e = &current->entries[current->count++];
        memset(e, 0, sizeof *e);
        e->name_offset = current->names_length;
        e->name_length = length;
        if (!include_hidden && name[0] == '.') {
            e->kind = SOU_ENTRY_HIDDEN;
        } else if (d->d_type == DT_DIR) {
            e->kind = SOU_ENTRY_FOLDER;   // a real folder (a link to one is DT_LNK): nothing to stat
        } else {
            e->kind = SOU_ENTRY_UNREADABLE;   // to stat
        }
        current->names_length += length + 1;
    }
    if (current) publish_batch(&q, current);
    finish_queue(&q);
    // this thread stats what the other one has not taken yet
    for (entry_batch *b; (b = take_batch(&q, 0)) != NULL;) stat_batch(&q, b);
    if (threaded) { pthread_join(thread, NULL); threaded = 0; }

    // the batches into one listing, then sorted
    size_t count = 0, names_length = 0;
    for (size_t i = 0; i < batch_count; i++) { count += batches[i]->count; names_length += batches[i]->names_length; }
    names = malloc(names_length > 0 ? names_length : 1);
    entries = malloc((count > 0 ? count : 1) * sizeof *entries);
    if (!names || !entries) goto out_of_memory;
    size_t at = 0, name_base = 0;
    for (size_t i = 0; i < batch_count; i++) {
        entry_batch *b = batches[i];
        // bounds: the sums above make room for every batch's entries and names
        memcpy(names + name_base, b->names, b->names_length);
        for (size_t k = 0; k < b->count; k++) {
            entries[at] = b->entries[k];
            entries[at].name_offset += name_base;
            at++;
        }
        name_base += b->names_length;
        free(b->names);
        free(b);
    }
    free(batches);
    if (sort_entries(entries, count, names) != 0) { batches = NULL; batch_count = 0; goto out_of_memory; }
    closedir(dir);
    out->names = names;
    out->entries = entries;
    out->count = count;
    return 0;

out_of_memory:
    if (threaded) {
        finish_queue(&q);
        pthread_join(thread, NULL);
    }
    for (size_t i = 0; i < batch_count; i++) { free(batches[i]->names); free(batches[i]); }
    free(batches);
    free(names);
    free(entries);
    closedir(dir);
    *stage = 3;
    return ENOMEM;
}

// MARK: - CRC-32C by the processor

#if defined(__x86_64__)
#include <nmmintrin.h>

int sou_crc32c_hardware(void) {
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

__attribute__((target("sse4.2")))
unsigned int sou_crc32c_update(unsigned int crc, const void *bytes, size_t count) {
    const unsigned char *p = bytes;
    unsigned long long c = (unsigned int)~crc;
    size_t i = 0;
    // bounds: each load reads bytes i ..< i + 8 with i + 8 <= count, then single bytes below count
    for (; i + 8 <= count; i += 8) {
        unsigned long long word;
        memcpy(&word, p + i, 8);
        c = _mm_crc32_u64(c, word);
    }
    unsigned int c32 = (unsigned int)c;
    for (; i < count; i++) c32 = _mm_crc32_u8(c32, p[i]);
    return ~c32;
}
#else
int sou_crc32c_hardware(void) { return 0; }

unsigned int sou_crc32c_update(unsigned int crc, const void *bytes, size_t count) {
    (void)bytes; (void)count;
    return crc;   // never called: sou_crc32c_hardware() is 0
}
#endif

// MARK: - Numbers

int sou_format_fixed(char *buffer, size_t size, double value, int decimals) {
    return snprintf(buffer, size, "%.*f", decimals, value);
}

// MARK: - Processors

/// The integer in the first bytes of file `path` (-1 when absent or not a number); `second`, when
/// not NULL, gets the integer after the first space (cgroup v2's "quota period"), -1 if none.
/// "max" reads as -1.
static long long read_cgroup_number(const char *path, long long *second) {
    if (second) *second = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char text[64];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return -1;
    text[n] = 0;   // bounds: n ≤ sizeof text - 1
    char *end = NULL;
    long long value = strtoll(text, &end, 10);
    if (end == text) value = -1;   // "max", or not a number
    if (second) {
        char *space = strchr(text, ' ');
        if (space) {
            char *end2 = NULL;
            long long v = strtoll(space + 1, &end2, 10);
            if (end2 != space + 1) *second = v;
        }
    }
    return value;
}

int sou_active_processor_count(void) {
    int count = 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) count = CPU_COUNT(&set);
    if (count <= 0) count = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (count <= 0) count = 1;
    // a CPU quota (cgroup v2 cpu.max "quota period", or v1 cfs_quota_us / cfs_period_us) caps it
    long long period = -1, quota = read_cgroup_number("/sys/fs/cgroup/cpu.max", &period);
    if (quota <= 0 || period <= 0) {
        quota = read_cgroup_number("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", NULL);
        period = read_cgroup_number("/sys/fs/cgroup/cpu/cpu.cfs_period_us", NULL);
    }
    if (quota > 0 && period > 0) {
        long long cap = (quota + period - 1) / period;
        if (cap >= 1 && cap < count) count = (int)cap;
    }
    return count;
}

void sou_start_writeback(int fd, long long offset, long long length) {
#if defined(__linux__)
    (void)sync_file_range(fd, (off64_t)offset, (off64_t)length, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)length;
#endif
}

int sou_start_is_cached(int fd) {
#if defined(__linux__) && defined(RWF_NOWAIT)
    char byte;
    struct iovec v = { &byte, 1 };
    ssize_t n = preadv2(fd, &v, 1, 0, RWF_NOWAIT);
    if (n >= 0) return 1;
    return errno == EAGAIN ? 0 : -1;
#else
    (void)fd;
    return -1;
#endif
}

// MARK: - Standard output

int sou_flush_stdout(void) {
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) return errno != 0 ? errno : EIO;
    return 0;
}

// MARK: sou watch

#if defined(__linux__)
#include <poll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

int sou_watch_open(void) {
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int sou_watch_add(int fd, const char *path, int is_folder) {
    uint32_t mask = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF;
    if (is_folder) mask |= IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR;
    return inotify_add_watch(fd, path, mask) < 0 ? -errno : 0;
}

long sou_watch_drain(int fd, int *overflowed) {
    // events are read whole: a buffer of at least one event with the longest name
    char buffer[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    long count = 0;
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return count;
            return -errno;
        }
        if (n == 0) return count;
        // bounds: the kernel writes whole events, each sizeof(struct inotify_event) + len bytes
        for (char *p = buffer; p < buffer + n;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            if (e->mask & IN_Q_OVERFLOW) *overflowed = 1;
            count += 1;
            p += sizeof(struct inotify_event) + e->len;
        }
    }
}

static socklen_t abstract_address(const char *name, struct sockaddr_un *address) {
    size_t length = strlen(name);
    if (length > 100) return 0;
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    // sun_path[0] = 0: the abstract namespace; the name's bytes follow, without a NUL
    memcpy(address->sun_path + 1, name, length);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + length);
}

int sou_watch_listen(const char *name) {
    struct sockaddr_un address;
    socklen_t length = abstract_address(name, &address);
    if (length == 0) return -ENAMETOOLONG;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (bind(fd, (struct sockaddr *)&address, length) != 0 || listen(fd, 64) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int sou_watch_accept(int fd) {
    int client;
    do { client = accept4(fd, NULL, NULL, SOCK_CLOEXEC); } while (client < 0 && errno == EINTR);
    return client < 0 ? -errno : client;
}

int sou_watch_connect(const char *name) {
    struct sockaddr_un address;
    socklen_t length = abstract_address(name, &address);
    if (length == 0) return -ENAMETOOLONG;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int r;
    do { r = connect(fd, (struct sockaddr *)&address, length); } while (r != 0 && errno == EINTR);
    if (r != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    struct ucred peer;
    socklen_t size = sizeof peer;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0 || peer.uid != getuid()) {
        close(fd);
        return -EPERM;
    }
    return fd;
}

int sou_wait_readable(int fd, int milliseconds) {
    struct pollfd p = { .fd = fd, .events = POLLIN };
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int left = milliseconds;
    for (;;) {
        int r = poll(&p, 1, left);
        if (r > 0) return 1;
        if (r == 0) return 0;
        if (errno != EINTR) return -errno;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        left = milliseconds - (int)spent;
        if (left <= 0) return 0;
    }
}
#else
int sou_watch_open(void) { return -ENOSYS; }
int sou_watch_add(int fd, const char *path, int is_folder) { (void)fd; (void)path; (void)is_folder; return -ENOSYS; }
long sou_watch_drain(int fd, int *overflowed) { (void)fd; (void)overflowed; return -ENOSYS; }
int sou_watch_listen(const char *name) { (void)name; return -ENOSYS; }
int sou_watch_accept(int fd) { (void)fd; return -ENOSYS; }
int sou_watch_connect(const char *name) { (void)name; return -ENOSYS; }
int sou_wait_readable(int fd, int milliseconds) { (void)fd; (void)milliseconds; return -ENOSYS; }
#endif
