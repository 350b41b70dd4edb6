// The character data file: every page of a SouCharTable (class bytes and NFKC_Casefold mappings)
// and the display widths, derived from ICU once and saved, so that later processes read them
// instead of asking ICU (and, for most searches, never load ICU at all).
//
// Layout (little-endian; the file is written by this file only, on this machine, for this
// build's ICU version and derivation rules: it is a cache, not an interchange format):
//
//   Header (64 bytes)
//     0  magic "SOUCHARS"
//     8  u32 format (CACHE_FORMAT)
//    12  u32 derivation (SOU_CHAR_DERIVATION: bumped whenever char_class, the normalization
//        flags, the mappings or the widths are derived differently)
//    16  16 bytes: U_ICU_VERSION of the ICU headers this shim was compiled against, NUL-padded;
//        the writer checks that the loaded ICU reports the same version
//    32  u32 page count (PAGE_COUNT)
//    36  u32 distinct class pages (C)
//    40  u32 distinct width pages (W)
//    44  u32 mapping words (M)
//    48  u64 file length = 64 + 8 * PAGE_COUNT + 256 * (C + W) + 4 * M
//    56  u64 checksum of bytes 64 ..< file length (four-lane multiply-xor, see checksum())
//   Page index: PAGE_COUNT entries of 8 bytes: u16 class page, u16 width page, u32 mapping
//     chunk offset in words into the mapping area (0xFFFFFFFF: the page maps nothing)
//   Class pages: C × 256 class bytes, as SouCharTable holds them (SOU_FLAG_DERIVED set)
//   Width pages: W × 256 bytes, the columns of each code point (0, 1 or 2)
//   Mapping area: M u32 words; a chunk is 256 entries (pool offset << 8 | count) then its pool
//
// Identical pages are stored once (most of the 4,353 pages are unassigned or private use).
//
// Safety: the header and the checksum of the whole body are checked when the file is mapped;
// each page is checked again when it is first used (class bytes derived and of a known class;
// mapping entries inside the mapping area), so a file that passes the checksum but was written
// wrong cannot make a reader read outside the mapping. A file that does not check is ignored
// (and rewritten by the next writer).
#include "charcache.h"
#include "cicushim.h"
#include "souwidth.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unicode/uversion.h>

#define CACHE_FORMAT 1u
#define HEADER_SIZE 64u
#define PAGE_SHIFT 8
#define PAGE_SIZE (1u << PAGE_SHIFT)
#define PAGE_COUNT ((SOU_CHAR_TABLE_SIZE + PAGE_SIZE - 1) >> PAGE_SHIFT)
#define NO_MAPPING 0xFFFFFFFFu
/// Files larger than this are not character data (the real one is well under 1 MiB).
#define MAX_FILE (64u << 20)

struct SouCharCache {
    const uint8_t *base;
    size_t length;
    const uint8_t *index;      // PAGE_COUNT × 8 bytes
    const uint8_t *classPages;
    const uint8_t *widthPages;
    const uint32_t *mappings;
    uint32_t classPageCount, widthPageCount, mappingWords;
};

static const char magic[8] = {'S', 'O', 'U', 'C', 'H', 'A', 'R', 'S'};

static uint32_t load32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t load64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint16_t load16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static void store32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void store64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void store16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

/// A 64-bit checksum of `bytes`: four independent lanes of xor-then-multiply over 8-byte words
/// (so the multiplications overlap: ~1 cycle per 8 bytes), folded together with the length. It
/// catches truncation, torn writes and flipped bits, which is all a private cache needs.
static uint64_t checksum(const uint8_t *bytes, size_t length) {
    const uint64_t k = 0x9E3779B97F4A7C15ull;
    uint64_t h[4] = {0x243F6A8885A308D3ull, 0x13198A2E03707344ull, 0xA4093822299F31D0ull, 0x082EFA98EC4E6C89ull};
    size_t i = 0;
    for (; i + 32 <= length; i += 32)
        for (int lane = 0; lane < 4; lane++) h[lane] = (h[lane] ^ load64(bytes + i + 8 * lane)) * k;
    uint64_t tail = 0;
    for (size_t j = 0; i + j < length; j++) tail |= (uint64_t)bytes[i + j] << (8 * (j & 7));
    uint64_t r = (uint64_t)length * k;
    for (int lane = 0; lane < 4; lane++) r = (r ^ h[lane] ^ (h[lane] >> 29)) * k;
    r = (r ^ tail) * k;
    return r ^ (r >> 32);
}

const char *sou_icu_header_version(void) { return U_ICU_VERSION; }

static void icu_version_field(char field[16]) {
    memset(field, 0, 16);
    strncpy(field, U_ICU_VERSION, 15);
}

// MARK: - Reading

SouCharCache *sou_char_cache_map(const char *path) {
    if (path == NULL || path[0] == 0) return NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)(HEADER_SIZE + 8 * PAGE_COUNT) ||
        st.st_size > (off_t)MAX_FILE) {
        close(fd);
        return NULL;
    }
    size_t length = (size_t)st.st_size;
    void *mapped = mmap(NULL, length, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (mapped == MAP_FAILED) return NULL;
    const uint8_t *b = mapped;
    char version[16];
    icu_version_field(version);
    uint32_t classCount = load32(b + 36), widthCount = load32(b + 40), words = load32(b + 44);
    // each count is bounded before the sizes are added (MAX_FILE keeps the sum far from overflow)
    int ok = memcmp(b, magic, 8) == 0 && load32(b + 8) == CACHE_FORMAT && load32(b + 12) == SOU_CHAR_DERIVATION &&
             memcmp(b + 16, version, 16) == 0 && load32(b + 32) == PAGE_COUNT &&
             classCount >= 1 && classCount <= PAGE_COUNT && widthCount >= 1 && widthCount <= PAGE_COUNT &&
             words <= MAX_FILE / 4 &&
             load64(b + 48) == length &&
             (uint64_t)HEADER_SIZE + 8ull * PAGE_COUNT + 256ull * (classCount + widthCount) + 4ull * words == length &&
             checksum(b + HEADER_SIZE, length - HEADER_SIZE) == load64(b + 56);
    SouCharCache *cache = ok ? calloc(1, sizeof *cache) : NULL;
    if (cache == NULL) {
        munmap(mapped, length);
        return NULL;
    }
    cache->base = b;
    cache->length = length;
    cache->index = b + HEADER_SIZE;
    cache->classPages = cache->index + 8 * PAGE_COUNT;
    cache->widthPages = cache->classPages + 256 * (size_t)classCount;
    cache->mappings = (const uint32_t *)(const void *)(cache->widthPages + 256 * (size_t)widthCount);   // 4-aligned: every part before is
    cache->classPageCount = classCount;
    cache->widthPageCount = widthCount;
    cache->mappingWords = words;
    return cache;
}

void sou_char_cache_unmap(SouCharCache *cache) {
    if (cache == NULL) return;
    munmap((void *)cache->base, cache->length);
    free(cache);
}

int sou_char_cache_page(const SouCharCache *cache, uint32_t page, const uint8_t **classes, const uint32_t **chunk) {
    if (page >= PAGE_COUNT) return -1;
    const uint8_t *entry = cache->index + 8 * (size_t)page;
    uint32_t classPage = load16(entry), offset = load32(entry + 4);
    if (classPage >= cache->classPageCount) return -1;
    const uint8_t *bytes = cache->classPages + 256 * (size_t)classPage;
    uint32_t first = page << PAGE_SHIFT;
    uint32_t count = SOU_CHAR_TABLE_SIZE - first < PAGE_SIZE ? SOU_CHAR_TABLE_SIZE - first : PAGE_SIZE;
    for (uint32_t k = 0; k < count; k++)
        if (!(bytes[k] & SOU_FLAG_DERIVED) || (bytes[k] & 0x0F) > SOU_CLASS_EXTENDNUMLET) return -1;
    const uint32_t *c = NULL;
    if (offset != NO_MAPPING) {
        // the chunk's 256 entries and every pool slice they name lie inside the mapping area
        if (offset > cache->mappingWords || cache->mappingWords - offset < PAGE_SIZE) return -1;
        c = cache->mappings + offset;
        uint32_t room = cache->mappingWords - offset - PAGE_SIZE;
        for (uint32_t k = 0; k < PAGE_SIZE; k++) {
            uint32_t n = c[k] & 0xFF, start = c[k] >> 8;
            if (n != 0 && (start > room || room - start < n)) return -1;
            if (n != 0 && !(bytes[k] & SOU_FLAG_MAPPED)) return -1;
        }
    }
    *classes = bytes;
    *chunk = c;
    return 0;
}

int sou_char_cache_width(const SouCharCache *cache, uint32_t c) {
    if (c > 0x10FFFF) return 0;
    uint32_t widthPage = load16(cache->index + 8 * (size_t)(c >> PAGE_SHIFT) + 2);
    if (widthPage >= cache->widthPageCount) return -1;
    uint8_t w = cache->widthPages[256 * (size_t)widthPage + (c & 0xFF)];
    return w <= 2 ? w : -1;
}

// MARK: - Writing

/// Distinct 256-byte pages: `pages` holds `count` of them; returns the number of `page`,
/// appending it when new (a hash table of 8,192 slots over at most PAGE_COUNT pages).
struct PageSet {
    uint8_t *pages;
    uint32_t count;
    int32_t slots[8192];
};

static uint32_t page_number(struct PageSet *set, const uint8_t *page) {
    uint64_t h = checksum(page, PAGE_SIZE);
    uint32_t slot = (uint32_t)h & 8191;
    while (set->slots[slot] >= 0) {
        if (memcmp(set->pages + 256 * (size_t)set->slots[slot], page, PAGE_SIZE) == 0) return (uint32_t)set->slots[slot];
        slot = (slot + 1) & 8191;
    }
    memcpy(set->pages + 256 * (size_t)set->count, page, PAGE_SIZE);
    set->slots[slot] = (int32_t)set->count;
    return set->count++;
}

static int write_all(int fd, const void *bytes, size_t length) {
    const uint8_t *p = bytes;
    while (length > 0) {
        ssize_t n = write(fd, p, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return errno ? errno : EIO;
        p += n;
        length -= (size_t)n;
    }
    return 0;
}

/// Creates the missing folders above `path` (0700, as the CLI's cache folder). Returns 0 or -1.
static int make_parents(const char *path) {
    char folder[PATH_MAX];
    if (strlen(path) >= sizeof folder) return -1;
    strcpy(folder, path);
    char *slash = strrchr(folder, '/');
    if (slash == NULL || slash == folder) return -1;
    *slash = 0;
    struct stat st;
    if (stat(folder, &st) == 0) return S_ISDIR(st.st_mode) ? 0 : -1;
    if (make_parents(folder) != 0) return -1;
    return mkdir(folder, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

int sou_char_cache_write(const char *path) {
    if (path == NULL || path[0] == 0) return EINVAL;
    // the file is for the ICU this shim was compiled against: refuse another one
    char loaded[32] = {0};
    if (sou_icu_version(loaded, sizeof loaded) != 0 || strcmp(loaded, U_ICU_VERSION) != 0) return ENOTSUP;
    char temporary[PATH_MAX];
    if (snprintf(temporary, sizeof temporary, "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof temporary) return ENAMETOOLONG;
    // a folder that cannot take the file fails here, before the derivation's ~0.3 s
    int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ENOENT && make_parents(temporary) == 0)
        fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return errno;
    int32_t icuError = 0;
    SouCharTable *table = sou_char_table_open(&icuError);
    struct PageSet *classes = calloc(1, sizeof *classes), *widths = calloc(1, sizeof *widths);
    uint8_t *index = calloc(PAGE_COUNT, 8);
    uint32_t *mappings = NULL;
    size_t words = 0, capacity = 0;
    int status = table == NULL ? EIO : 0;
    if (status == 0 && (classes == NULL || widths == NULL || index == NULL ||
                        (classes->pages = calloc(PAGE_COUNT, PAGE_SIZE)) == NULL ||
                        (widths->pages = calloc(PAGE_COUNT, PAGE_SIZE)) == NULL)) status = ENOMEM;
    if (status == 0) {
        memset(classes->slots, 0xFF, sizeof classes->slots);
        memset(widths->slots, 0xFF, sizeof widths->slots);
    }
    const uint8_t *all = table ? sou_char_table_classes(table) : NULL;
    uint32_t *const *chunks = table ? sou_char_table_chunks(table) : NULL;
    for (uint32_t page = 0; page < PAGE_COUNT && status == 0; page++) {
        uint32_t first = page << PAGE_SHIFT;
        uint8_t classBytes[PAGE_SIZE] = {0}, widthBytes[PAGE_SIZE] = {0};
        for (uint32_t k = 0; k < PAGE_SIZE; k++) {
            uint32_t c = first + k;
            if (c >= SOU_CHAR_TABLE_SIZE) break;
            classBytes[k] = sou_char_table_derive(table, c);
            if (classBytes[k] == 0) { status = EIO; break; }
            if (c <= 0x10FFFF) widthBytes[k] = (uint8_t)sou_display_width_derived(c);
        }
        if (status != 0) break;
        uint32_t offset = NO_MAPPING;
        const uint32_t *chunk = chunks[page];
        if (chunk != NULL) {
            uint32_t pool = 0;
            for (uint32_t k = 0; k < PAGE_SIZE; k++)
                if ((chunk[k] & 0xFF) != 0 && (chunk[k] >> 8) + (chunk[k] & 0xFF) > pool) pool = (chunk[k] >> 8) + (chunk[k] & 0xFF);
            size_t need = words + PAGE_SIZE + pool;
            if (need > capacity) {
                size_t grown = capacity ? capacity * 2 : 65536;
                while (grown < need) grown *= 2;
                uint32_t *bigger = realloc(mappings, grown * 4);
                if (bigger == NULL) { status = ENOMEM; break; }
                mappings = bigger;
                capacity = grown;
            }
            memcpy(mappings + words, chunk, 4 * ((size_t)PAGE_SIZE + pool));
            offset = (uint32_t)words;
            words = need;
        }
        uint8_t *entry = index + 8 * (size_t)page;
        store16(entry, (uint16_t)page_number(classes, classBytes));
        store16(entry + 2, (uint16_t)page_number(widths, widthBytes));
        store32(entry + 4, offset);
    }
    if (status == 0) {
        uint64_t length = HEADER_SIZE + 8ull * PAGE_COUNT + 256ull * (classes->count + widths->count) + 4ull * words;
        uint8_t *file = malloc(length);
        if (file == NULL) {
            status = ENOMEM;
        } else {
            memset(file, 0, HEADER_SIZE);
            memcpy(file, magic, 8);
            store32(file + 8, CACHE_FORMAT);
            store32(file + 12, SOU_CHAR_DERIVATION);
            icu_version_field((char *)file + 16);
            store32(file + 32, PAGE_COUNT);
            store32(file + 36, classes->count);
            store32(file + 40, widths->count);
            store32(file + 44, (uint32_t)words);
            store64(file + 48, length);
            uint8_t *p = file + HEADER_SIZE;
            memcpy(p, index, 8 * (size_t)PAGE_COUNT); p += 8 * (size_t)PAGE_COUNT;
            memcpy(p, classes->pages, 256 * (size_t)classes->count); p += 256 * (size_t)classes->count;
            memcpy(p, widths->pages, 256 * (size_t)widths->count); p += 256 * (size_t)widths->count;
            if (words) memcpy(p, mappings, 4 * words);
            store64(file + 56, checksum(file + HEADER_SIZE, length - HEADER_SIZE));
            status = write_all(fd, file, length);
            free(file);
        }
    }
    if (close(fd) != 0 && status == 0) status = errno;
    // rename: a reader sees the old file or the whole new one, never a part
    if (status == 0 && rename(temporary, path) != 0) status = errno;
    if (status != 0) unlink(temporary);
    if (classes) free(classes->pages);
    if (widths) free(widths->pages);
    free(classes);
    free(widths);
    free(index);
    free(mappings);
    sou_char_table_close(table);
    return status;
}

// MARK: - The configured file

static char configured[PATH_MAX];
static int configured_writable;
static pthread_mutex_t configured_lock = PTHREAD_MUTEX_INITIALIZER;

void sou_char_data_file_set(const char *path, int writable) {
    pthread_mutex_lock(&configured_lock);
    if (path == NULL || strlen(path) >= sizeof configured) configured[0] = 0;
    else strcpy(configured, path);
    configured_writable = writable != 0;
    pthread_mutex_unlock(&configured_lock);
}

size_t sou_char_data_file(char *buffer, size_t capacity, int *writable) {
    pthread_mutex_lock(&configured_lock);
    size_t length = strlen(configured);
    if (buffer == NULL || length + 1 > capacity) length = 0;
    else memcpy(buffer, configured, length + 1);
    if (writable) *writable = length > 0 && configured_writable;
    pthread_mutex_unlock(&configured_lock);
    return length;
}
