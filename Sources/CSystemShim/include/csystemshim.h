#ifndef CSYSTEMSHIM_H
#define CSYSTEMSHIM_H
// C library calls Swift's Glibc module does not import, or that must be C (signal handlers),
// behind plain C functions.
#include <stddef.h>

/// Asks the C allocator to give freed memory back to the system once more than `bytes` are free
/// at the top of a heap (glibc: mallopt(M_TRIM_THRESHOLD, bytes)). Returns 1 when applied, 0 when
/// the C library has no such setting (non-glibc systems) or refused it.
int sou_set_malloc_trim_threshold(size_t bytes);

/// Lets the C allocator serve blocks under `mmap_threshold` bytes from its heaps instead of a
/// mapping of their own each, and grow a heap by `top_pad` bytes more than asked (glibc:
/// mallopt(M_MMAP_THRESHOLD), mallopt(M_TOP_PAD)): a build's per-batch buffers (tokens, ~1 MB
/// each) are then reused memory, not fresh mappings whose every page faults in zeroed. Returns 1
/// when both are applied, 0 when the C library has no such settings or refused them.
int sou_set_malloc_growth(size_t mmap_threshold, size_t top_pad);

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

/// Whether a progress line is on the terminal (stderr): the handlers then erase it ("\r",
/// erase to the end of the line: one write, async-signal-safe) before the process ends.
void sou_cleanup_set_progress_line(int shown);

// MARK: - Listing a folder

/// What a folder entry is (after following a symbolic link).
enum {
    SOU_ENTRY_UNREADABLE = 0,   ///< stat failed: `error` holds errno (`dangling`: a link to nothing)
    SOU_ENTRY_FOLDER = 1,
    SOU_ENTRY_FILE = 2,         ///< a regular file: `size` and `mtime_ns` are set
    SOU_ENTRY_FIFO = 3,
    SOU_ENTRY_CHARACTER_DEVICE = 4,
    SOU_ENTRY_BLOCK_DEVICE = 5,
    SOU_ENTRY_SOCKET = 6,
    SOU_ENTRY_OTHER = 7,
    SOU_ENTRY_HIDDEN = 8,       ///< a name starting with "." when hidden entries are not wanted: not stat'ed
};

/// One entry of a folder listing. Its name is `names[name_offset ..< name_offset + name_length]`
/// (the exact bytes, not NUL-terminated in the count, followed by a NUL).
typedef struct sou_folder_entry {
    size_t name_offset;
    size_t name_length;
    long long size;
    long long mtime_ns;
    int kind;
    int error;
    int dangling;
} sou_folder_entry;

/// A folder's entries ("." and ".." left out), sorted by the bytes of their names (unsigned, a
/// prefix first), and the folder's device and inode (of the folder a symbolic link leads to).
typedef struct sou_folder_listing {
    char *names;
    sou_folder_entry *entries;
    size_t count;
    unsigned long long device;
    unsigned long long inode;
} sou_folder_listing;

/// Lists the folder at `path` (NUL-terminated bytes) and stats every entry relative to the
/// folder's descriptor (following symbolic links; an entry the folder listing calls a folder is
/// not stat'ed). Entries are stat'ed in batches while the folder is still being read, by a
/// second thread when there are two cores or more and the folder holds more than one batch.
/// Returns 0 and fills `out` (free it with sou_folder_listing_free), or an errno: then `*stage`
/// says what failed: 1 the folder could not be stat'ed, 2 it could not be opened or read, 3 out
/// of memory (nothing to free).
int sou_list_folder(const char *path, int include_hidden, sou_folder_listing *out, int *stage);

/// Frees what sou_list_folder allocated (no-op on an empty listing).
void sou_folder_listing_free(sou_folder_listing *listing);

// MARK: - CRC-32C by the processor

/// 1 when the processor computes CRC-32C (x86-64 with SSE 4.2), else 0.
int sou_crc32c_hardware(void);

/// Continues a CRC-32C (Castagnoli, reflected; the same value as the software tables of
/// SouIndexing's CRC32C): returns the CRC of the bytes before plus `count` bytes at `bytes`. Call
/// only when sou_crc32c_hardware() is 1.
unsigned int sou_crc32c_update(unsigned int crc, const void *bytes, size_t count);

// MARK: - Prefetching

/// Asks the processor to bring the cache line holding `address` into its caches for a write
/// (a hint: no effect on what a program computes, never faults, whatever the address). The
/// inverter prefetches the hash slot and term entry of a token a few tokens ahead.
static inline void sou_prefetch_write(const void *address) {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(address, 1, 3);
#else
    (void)address;
#endif
}

/// ``sou_prefetch_write`` for a read: the serializer prefetches the term entries, keys and
/// stream heads of terms a few terms ahead in dictionary order (random places in memory).
static inline void sou_prefetch_read(const void *address) {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(address, 0, 3);
#else
    (void)address;
#endif
}

// MARK: - Numbers

/// Writes `value` with `decimals` digits after the point (printf's "%.*f": the exact binary
/// value correctly rounded), NUL-terminated, into `buffer` of `size` bytes. Returns the length
/// the text has (as snprintf: the text is cut when it is `size` or more). A plain C call: Swift's
/// variadic `String(format:)`/`vsnprintf` path looks up CVarArg conformances at run time, ~70,000
/// instructions the first time, a tenth of a short search.
int sou_format_fixed(char *buffer, size_t size, double value, int decimals);

/// The processors this process may run on: those of its affinity mask, capped by a cgroup CPU
/// quota (v2 `cpu.max`, v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`, rounded up), at least 1 —
/// what Foundation's `ProcessInfo.activeProcessorCount` answers, in a few system calls instead of
/// its URL and String reading of the same files (~0.4 ms of a small `sou index` update).
int sou_active_processor_count(void);

// MARK: - Writing files

/// Starts writing back the dirty pages of `length` bytes at `offset` of `fd` (Linux
/// `sync_file_range(SYNC_FILE_RANGE_WRITE)`: the call returns once the writes are queued, without
/// waiting for them): a writer that calls it after each chunk it writes overlaps the disk's work
/// with its own, and the `fdatasync` of its commit waits only for the last chunks. Advisory:
/// errors are ignored (the commit's `fdatasync` reports any), and elsewhere than Linux it does
/// nothing.
void sou_start_writeback(int fd, long long offset, long long length);

/// Whether the start of the regular file open as `fd` is in the page cache: 1 when a one-byte
/// read at offset 0 succeeds without waiting for the disk (Linux `preadv2` with `RWF_NOWAIT`; an
/// empty file counts as cached), 0 when it would have to wait, -1 when the system cannot tell.
/// What a read-ahead asks before advising a file (``ReadAhead``); it reads nothing the caller sees.
int sou_start_is_cached(int fd);

/// Flushes stdio's stdout: 0, or the errno of a write that failed now or before (EIO when the
/// stream's error flag is set without one). (Swift 6 cannot name C's `stdout`, a mutable global.)
int sou_flush_stdout(void);


// MARK: sou watch: change notification and the watcher's socket (Linux)

/// A new inotify instance, non-blocking and close-on-exec; -errno on failure.
int sou_watch_open(void);

/// Watches `path` (a symbolic link is followed) in the inotify instance `fd`: a folder for the
/// creation, deletion, renaming and change of its entries and for its own deletion or move;
/// a file for changes of its content or attributes and its own deletion or move (a file reached
/// through another hard link or a symbolic link from outside the folders is changed without an
/// event in the folder). 0 when added (again, for a path watched already), -errno on failure
/// (ENOSPC: the user's fs.inotify.max_user_watches reached).
int sou_watch_add(int fd, const char *path, int is_folder);

/// Reads every event waiting on the inotify instance `fd` (non-blocking): the number read
/// (0: none waiting), -errno on failure. `*overflowed` is set to 1 when the kernel's queue
/// overflowed (events were lost), else left as it is.
long sou_watch_drain(int fd, int *overflowed);

/// A stream socket listening in the abstract namespace (no file) under `name` (at most 100
/// bytes): -EADDRINUSE when another process listens there, -errno on other failures.
int sou_watch_listen(const char *name);

/// Accepts a connection on the listening socket `fd` (close-on-exec): its descriptor, -errno
/// on failure.
int sou_watch_accept(int fd);

/// Connects to the socket listening under `name` in the abstract namespace; the connection is
/// kept only when the listening process runs as this process's user (SO_PEERCRED): -EPERM when
/// not, -ECONNREFUSED when nobody listens, -errno on other failures.
int sou_watch_connect(const char *name);

/// Waits up to `milliseconds` for `fd` to be readable: 1 readable (or closed by the peer), 0
/// timed out, -errno on failure. EINTR is retried.
int sou_wait_readable(int fd, int milliseconds);

#endif
