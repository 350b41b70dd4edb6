// Character data, normalization, transliteration and word breaks from ICU, which is loaded on
// first use and called through `SOU_ICU` (icuload.h). ICU reports warnings as negative error
// codes: only positive codes (U_FAILURE) are errors.
#include "cicushim.h"
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include "icuload.h"
#include "charcache.h"
#include "souwidth.h"

int sou_icu_version(char *buffer, size_t capacity) {
    sou_icu_require();
    if (buffer == NULL || capacity < U_MAX_VERSION_STRING_LENGTH) return -1;
    UVersionInfo info;
    SOU_ICU(u_getVersion)(info);
    SOU_ICU(u_versionToString)(info, buffer);
    return 0;
}

// MARK: - Character classes

static int32_t from_utf16(const UChar *units, int32_t length, uint32_t *output, int32_t capacity);

static int is_letter_category(int8_t gc) {
    return gc == U_UPPERCASE_LETTER || gc == U_LOWERCASE_LETTER || gc == U_TITLECASE_LETTER ||
           gc == U_MODIFIER_LETTER || gc == U_OTHER_LETTER || gc == U_LETTER_NUMBER;
}

static uint8_t char_class(UChar32 c) {
    if (c == '\n' || c == '\r') return SOU_CLASS_NEWLINE;
    if (SOU_ICU(u_isUWhiteSpace)(c)) return SOU_CLASS_SPACE;
    int8_t gc = SOU_ICU(u_charType)(c);
    if (gc == U_UNASSIGNED || gc == U_PRIVATE_USE_CHAR || gc == U_SURROGATE || gc == U_CONTROL_CHAR)
        return SOU_CLASS_OTHER;
    UErrorCode error = U_ZERO_ERROR;
    UScriptCode script = SOU_ICU(uscript_getScript)(c, &error);
    if (U_FAILURE(error)) script = USCRIPT_INVALID_CODE;
    if (is_letter_category(gc)) {
        if (script == USCRIPT_HAN || script == USCRIPT_HIRAGANA || script == USCRIPT_KATAKANA)
            return SOU_CLASS_HANKANA;
        if (script == USCRIPT_HANGUL) return SOU_CLASS_HANGUL;
        // ー (U+30FC), 〆 (U+3006) and their kin are Script=Common letters whose
        // Script_Extensions name Hiragana, Katakana or Han.
        if ((script == USCRIPT_COMMON || script == USCRIPT_INHERITED) &&
            (SOU_ICU(uscript_hasScript)(c, USCRIPT_HIRAGANA) || SOU_ICU(uscript_hasScript)(c, USCRIPT_KATAKANA) ||
             SOU_ICU(uscript_hasScript)(c, USCRIPT_HAN)))
            return SOU_CLASS_HANKANA;
    }
    int32_t wb = SOU_ICU(u_getIntPropertyValue)(c, UCHAR_WORD_BREAK);
    switch (wb) {
    case U_WB_ALETTER: case U_WB_HEBREW_LETTER: return SOU_CLASS_LETTER;
    case U_WB_NUMERIC: return SOU_CLASS_DIGIT;
    case U_WB_EXTEND:
        return (gc == U_NON_SPACING_MARK || gc == U_COMBINING_SPACING_MARK) ? SOU_CLASS_MARK : SOU_CLASS_IGNORABLE;
    case U_WB_FORMAT: case U_WB_ZWJ: return SOU_CLASS_IGNORABLE;
    case U_WB_MIDLETTER:
        // ICU's root word rules take ':' (and its fullwidth and small forms) out of MidLetter.
        if (c == ':' || c == 0xFE55 || c == 0xFF1A) return SOU_CLASS_OTHER;
        return SOU_CLASS_MIDLETTER;
    case U_WB_MIDNUM: return SOU_CLASS_MIDNUM;
    case U_WB_MIDNUMLET: case U_WB_SINGLE_QUOTE: return SOU_CLASS_MIDNUMLET;
    case U_WB_EXTENDNUMLET: return SOU_CLASS_EXTENDNUMLET;
    default: break;
    }
    if (is_letter_category(gc)) return SOU_CLASS_LETTER;   // Thai, Lao, Yi, Katakana-like symbols...
    if (gc == U_NON_SPACING_MARK || gc == U_COMBINING_SPACING_MARK) return SOU_CLASS_MARK;
    if (gc == U_DECIMAL_DIGIT_NUMBER) return SOU_CLASS_DIGIT;
    return SOU_CLASS_OTHER;
}

/// The class and flags of `c`, every property looked up for this one code point: the reference
/// derivation (the lazy table below must agree with it on every code point).
static uint8_t char_class_and_flags(const UNormalizer2 *nfkc, UChar32 c);

/// The normalization flags of `c` (SOU_FLAG_MAPPED, SOU_FLAG_NO_BOUNDARY_BEFORE), every property
/// looked up for this one code point.
static uint8_t normalization_flags(const UNormalizer2 *nfkc, UChar32 c) {
    uint8_t value = 0;
    if (c < 0xD800 || c > 0xDFFF) {
        UChar units[2];
        int32_t length = 0;
        U16_APPEND_UNSAFE(units, length, c);
        UErrorCode e = U_ZERO_ERROR;
        if (!SOU_ICU(unorm2_isNormalized)(nfkc, units, length, &e) && U_SUCCESS(e)) value |= SOU_FLAG_MAPPED;
        if (!SOU_ICU(unorm2_hasBoundaryBefore)(nfkc, c)) value |= SOU_FLAG_NO_BOUNDARY_BEFORE;
    }
    return value;
}

static uint8_t char_class_and_flags(const UNormalizer2 *nfkc, UChar32 c) {
    return char_class(c) | normalization_flags(nfkc, c);
}

int sou_char_classes(uint8_t *table, uint32_t count) {
    sou_icu_require();
    if (table == NULL || count > 0x110000) return U_ILLEGAL_ARGUMENT_ERROR;
    UErrorCode error = U_ZERO_ERROR;
    const UNormalizer2 *nfkc = SOU_ICU(unorm2_getNFKCCasefoldInstance)(&error);
    if (U_FAILURE(error)) return error;
    for (uint32_t c = 0; c < count; c++) table[c] = char_class_and_flags(nfkc, (UChar32)c);
    return 0;
}

// MARK: - The lazily derived character table
//
// What a text needs is derived when it is first looked up: the normalization flags and the
// mappings a page of 256 code points at a time (an inert test per code point, cheap), the class
// of each code point on its own (the costly part: script, white space, word break). A text
// pays for the characters it holds, not for the 256 around each (the ten documents a search
// prints touched ~75 pages, 19,200 code points, for ~2,000 distinct characters).
//
// Concurrency: `classes` and `chunks` are written only under `lock`, by derive_code_point and
// derive_normalization; readers read them without the lock through atomic loads. A page's
// mapping chunk is published (release store of the pointer) before any class byte of the page
// is written, and each class byte after a release fence (then a relaxed store of its non-zero
// value). A reader that sees a non-zero class byte and then issues an acquire fence
// (sou_char_table_mapping) therefore sees the chunk of its page. A class byte is written once,
// from 0 to its final value, and never changes again. `normalization` and `pageNormalized` are
// read and written under `lock` only.

struct SouCharTable {
    uint8_t *classes;                    // SOU_CHAR_TABLE_SIZE bytes, 0 = not derived yet
    uint32_t **chunks;                   // per page: NULL, or 256 entries then the mapping pool
    uint8_t *normalization;              // per code point: its normalization flags, once its page's are derived
    uint8_t *pageNormalized;             // per page: PAGE_FROM_ICU or PAGE_FROM_FILE once derived
    const UNormalizer2 *nfkc;            // NULL until ICU is needed (a table read from a file)
    SouCharCache *file;                  // the character data file, or NULL (charcache.c)
    pthread_mutex_t lock;
};

/// pageNormalized values: the page's normalization flags and mappings were derived from ICU
/// (its chunk is malloc'ed), or the whole page was copied from the character data file (its
/// chunk points into the file's mapping).
#define PAGE_FROM_ICU 1
#define PAGE_FROM_FILE 2

#define PAGE_SHIFT 8
#define PAGE_SIZE (1u << PAGE_SHIFT)
#define PAGE_COUNT ((SOU_CHAR_TABLE_SIZE + PAGE_SIZE - 1) >> PAGE_SHIFT)
/// Longest NFKC_Casefold mapping of one code point this table accepts, in UTF-16 units
/// (Unicode's longest is U+FDFA, 18 code points, all in the BMP).
#define MAPPING_CAPACITY 64

/// Derives the normalization flags and mappings of page `page` (caller holds the lock; the page
/// is not derived yet). Returns 0 or an ICU error code (then nothing was published).
static int derive_normalization(SouCharTable *table, uint32_t page) {
    uint32_t first = page << PAGE_SHIFT;
    uint32_t end = first + PAGE_SIZE;
    if (end > 0x110000) end = 0x110000;
    uint8_t values[PAGE_SIZE];
    uint32_t count = end > first ? end - first : 0;
    uint32_t poolSize = 0;
    for (uint32_t k = 0; k < count; k++) {
        UChar32 c = (UChar32)(first + k);
        // An inert character is not changed by NFKC_Casefold and has a boundary before it:
        // the two normalization flags are 0 (the common case, skips the costly checks).
        values[k] = SOU_ICU(unorm2_isInert)(table->nfkc, c) ? 0 : normalization_flags(table->nfkc, c);
    }
    // Mappings of the characters NFKC_Casefold changes: 256 entries, then the pool.
    uint32_t *chunk = NULL;
    uint32_t capacity = 0;
    for (uint32_t k = 0; k < count; k++) {
        if (!(values[k] & SOU_FLAG_MAPPED)) continue;
        UChar source[2], target[MAPPING_CAPACITY];
        int32_t length = 0;
        U16_APPEND_UNSAFE(source, length, first + k);
        UErrorCode error = U_ZERO_ERROR;
        int32_t written = SOU_ICU(unorm2_normalize)(table->nfkc, source, length, target, MAPPING_CAPACITY, &error);
        if (U_FAILURE(error) || written >= MAPPING_CAPACITY) { free(chunk); return U_FAILURE(error) ? error : U_BUFFER_OVERFLOW_ERROR; }
        uint32_t points = (uint32_t)from_utf16(target, written, NULL, 0);
        if (PAGE_SIZE + poolSize + points > capacity) {
            uint32_t grown = capacity == 0 ? 2 * PAGE_SIZE : 2 * capacity;
            while (PAGE_SIZE + poolSize + points > grown) grown *= 2;
            uint32_t *bigger = realloc(chunk, sizeof(uint32_t) * grown);
            if (bigger == NULL) { free(chunk); return U_MEMORY_ALLOCATION_ERROR; }
            if (chunk == NULL) memset(bigger, 0, sizeof(uint32_t) * PAGE_SIZE);
            chunk = bigger;
            capacity = grown;
        }
        // points < MAPPING_CAPACITY: fits the entry's low byte; poolSize < 2^24.
        from_utf16(target, written, chunk + PAGE_SIZE + poolSize, (int32_t)points);
        chunk[k] = poolSize << 8 | points;
        poolSize += points;
    }
    __atomic_store_n(&table->chunks[page], chunk, __ATOMIC_RELEASE);
    memcpy(table->normalization + first, values, count);
    table->pageNormalized[page] = PAGE_FROM_ICU;
    return 0;
}

/// Loads ICU for a table opened from a file, the first time one of the file's pages does not
/// check (caller holds the lock). Returns 0 or an ICU error code.
static int require_icu(SouCharTable *table) {
    if (table->nfkc != NULL) return 0;
    sou_icu_require();
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2 *nfkc = SOU_ICU(unorm2_getNFKCCasefoldInstance)(&status);
    if (U_FAILURE(status)) return status;
    table->nfkc = nfkc;
    return 0;
}

/// Copies page `page` from the character data file into the table: its chunk first, then each
/// class byte (the order readers rely on; see above). Caller holds the lock; no byte of the page
/// is derived yet. Returns 0, or -1 when the file's page does not check (nothing is written).
static int copy_page_from_file(SouCharTable *table, uint32_t page) {
    const uint8_t *bytes;
    const uint32_t *chunk;
    if (sou_char_cache_page(table->file, page, &bytes, &chunk) != 0) return -1;
    uint32_t first = page << PAGE_SHIFT;
    uint32_t count = SOU_CHAR_TABLE_SIZE - first < PAGE_SIZE ? SOU_CHAR_TABLE_SIZE - first : PAGE_SIZE;
    // read-only memory of the file: the table never writes through chunk pointers
    __atomic_store_n(&table->chunks[page], (uint32_t *)chunk, __ATOMIC_RELEASE);
    table->pageNormalized[page] = PAGE_FROM_FILE;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    for (uint32_t k = 0; k < count; k++) __atomic_store_n(&table->classes[first + k], bytes[k], __ATOMIC_RELAXED);
    return 0;
}

/// Derives the class byte of `c` (< 0x110000; caller holds the lock; not derived yet), and its
/// page's normalization first when needed. Returns 0 or an ICU error code.
static int derive_code_point(SouCharTable *table, uint32_t c) {
    uint32_t page = c >> PAGE_SHIFT;
    if (table->file != NULL && !table->pageNormalized[page] && copy_page_from_file(table, page) == 0) return 0;
    if (table->nfkc == NULL) {
        int status = require_icu(table);
        if (status != 0) return status;
    }
    if (!table->pageNormalized[page]) {
        int status = derive_normalization(table, page);
        if (status != 0) return status;
    }
    uint8_t value = char_class((UChar32)c) | table->normalization[c] | SOU_FLAG_DERIVED;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&table->classes[c], value, __ATOMIC_RELAXED);
    return 0;
}

/// `size` zero bytes in pages of their own (NULL when refused): the kernel's zero pages, each
/// touched only when a byte of it is written, so that a process that meets a few scripts does
/// not zero (and fault in) the table's whole 1.1 MB twice. (calloc zeroes with memset whenever
/// malloc's adaptive threshold serves the size from the heap.)
static uint8_t *zeroed_pages(size_t size) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void free_zeroed_pages(uint8_t *p, size_t size) {
    if (p != NULL) munmap(p, size);
}

/// An empty table: every class byte 0 but the invalid-sequence code point's (class other, no
/// flags). NULL when memory runs out. The two per-code-point arrays are zero pages
/// (zeroed_pages), so untouched parts cost nothing.
static SouCharTable *table_alloc(void) {
    SouCharTable *table = calloc(1, sizeof(SouCharTable));
    if (table == NULL) return NULL;
    table->classes = zeroed_pages(SOU_CHAR_TABLE_SIZE);
    table->chunks = calloc(PAGE_COUNT, sizeof(uint32_t *));
    table->normalization = zeroed_pages(SOU_CHAR_TABLE_SIZE);
    table->pageNormalized = calloc(PAGE_COUNT, 1);
    if (table->classes == NULL || table->chunks == NULL || table->normalization == NULL || table->pageNormalized == NULL ||
        pthread_mutex_init(&table->lock, NULL) != 0) {
        free_zeroed_pages(table->classes, SOU_CHAR_TABLE_SIZE);
        free(table->chunks);
        free_zeroed_pages(table->normalization, SOU_CHAR_TABLE_SIZE);
        free(table->pageNormalized);
        free(table);
        return NULL;
    }
    table->classes[0x110000] = SOU_CLASS_OTHER | SOU_FLAG_DERIVED;
    return table;
}

/// Derives U+0000...U+00FF now, so that a table that cannot answer fails when opened, not
/// mid-analysis (and ASCII, in almost every text, is ready). Returns 0 or an error code.
static int derive_first_page(SouCharTable *table) {
    int status = 0;
    for (uint32_t c = 0; c < PAGE_SIZE && status == 0; c++) status = derive_code_point(table, c);
    return status;
}

SouCharTable *sou_char_table_open(int32_t *error) {
    sou_icu_require();
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2 *nfkc = SOU_ICU(unorm2_getNFKCCasefoldInstance)(&status);
    if (U_FAILURE(status)) { if (error) *error = status; return NULL; }
    SouCharTable *table = table_alloc();
    if (table == NULL) { if (error) *error = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    table->nfkc = nfkc;
    int status0 = derive_first_page(table);
    if (status0 != 0) {
        sou_char_table_close(table);
        if (error) *error = status0;
        return NULL;
    }
    if (error) *error = 0;
    return table;
}

SouCharTable *sou_char_table_open_file(const char *path) {
    SouCharCache *file = sou_char_cache_map(path);
    if (file == NULL) return NULL;
    SouCharTable *table = table_alloc();
    if (table == NULL) { sou_char_cache_unmap(file); return NULL; }
    table->file = file;
    // the first page from the file, checked: a file whose first page is wrong is not used at all
    if (copy_page_from_file(table, 0) != 0) {
        sou_char_table_close(table);
        return NULL;
    }
    return table;
}

int sou_char_table_width(const SouCharTable *table, uint32_t c) {
    return table->file != NULL ? sou_char_cache_width(table->file, c) : -1;
}

void sou_char_table_close(SouCharTable *table) {
    if (table == NULL) return;
    for (uint32_t page = 0; page < PAGE_COUNT; page++)
        if (table->pageNormalized[page] != PAGE_FROM_FILE) free(table->chunks[page]);
    free(table->chunks);
    free_zeroed_pages(table->classes, SOU_CHAR_TABLE_SIZE);
    free_zeroed_pages(table->normalization, SOU_CHAR_TABLE_SIZE);
    free(table->pageNormalized);
    sou_char_cache_unmap(table->file);
    pthread_mutex_destroy(&table->lock);
    free(table);
}

const uint8_t *sou_char_table_classes(const SouCharTable *table) { return table->classes; }

uint8_t sou_char_table_derive(SouCharTable *table, uint32_t c) {
    if (c >= SOU_CHAR_TABLE_SIZE) return 0;
    pthread_mutex_lock(&table->lock);
    uint8_t value = __atomic_load_n(&table->classes[c], __ATOMIC_RELAXED);
    if (value == 0 && derive_code_point(table, c) == 0)
        value = __atomic_load_n(&table->classes[c], __ATOMIC_RELAXED);
    pthread_mutex_unlock(&table->lock);
    return value;
}

uint32_t *const *sou_char_table_chunks(const SouCharTable *table) { return table->chunks; }

// MARK: - UTF-32 <-> UTF-16 helpers

/// Converts code points to UTF-16 in a malloc'ed buffer (*units), returning its length or -1.
static int32_t to_utf16(const uint32_t *input, int32_t length, UChar **units) {
    if (length < 0) return -1;
    UChar *buffer = malloc(sizeof(UChar) * (size_t)(2 * length + 1));
    if (buffer == NULL) return -1;
    int32_t n = 0;
    for (int32_t i = 0; i < length; i++) {
        uint32_t c = input[i];
        if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = 0xFFFD;
        U16_APPEND_UNSAFE(buffer, n, c);
    }
    *units = buffer;
    return n;
}

/// Writes the code points of UTF-16 `units` to `output` (up to `capacity`), returning how many
/// code points there are in all.
static int32_t from_utf16(const UChar *units, int32_t length, uint32_t *output, int32_t capacity) {
    int32_t n = 0;
    for (int32_t i = 0; i < length;) {
        UChar32 c;
        U16_NEXT(units, i, length, c);
        if (n < capacity && output != NULL) output[n] = (uint32_t)c;
        n++;
    }
    return n;
}

// MARK: - Normalization

int32_t sou_nfkc_casefold(const uint32_t *input, int32_t length, uint32_t *output, int32_t capacity) {
    sou_icu_require();
    UErrorCode error = U_ZERO_ERROR;
    const UNormalizer2 *nfkc = SOU_ICU(unorm2_getNFKCCasefoldInstance)(&error);
    if (U_FAILURE(error)) return -1;
    UChar *source = NULL;
    int32_t sourceLength = to_utf16(input, length, &source);
    if (sourceLength < 0) return -1;
    int32_t needed = SOU_ICU(unorm2_normalize)(nfkc, source, sourceLength, NULL, 0, &error);
    if (error != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(error)) { free(source); return -1; }
    error = U_ZERO_ERROR;
    UChar *target = malloc(sizeof(UChar) * (size_t)(needed + 1));
    if (target == NULL) { free(source); return -1; }
    int32_t written = SOU_ICU(unorm2_normalize)(nfkc, source, sourceLength, target, needed + 1, &error);
    free(source);
    if (U_FAILURE(error)) { free(target); return -1; }
    int32_t n = from_utf16(target, written, output, capacity);
    free(target);
    return n;
}

// MARK: - Transliteration

struct SouTransliterator {
    UTransliterator *icu;
};

SouTransliterator *sou_transliterator_open(const char *id, int32_t *error) {
    sou_icu_require_i18n();
    UErrorCode status = U_ZERO_ERROR;
    UChar wideID[128];
    if (id == NULL) { if (error) *error = U_ILLEGAL_ARGUMENT_ERROR; return NULL; }
    SOU_ICU(u_uastrncpy)(wideID, id, 127);
    wideID[127] = 0;
    UTransliterator *icu = SOU_ICU(utrans_openU)(wideID, -1, UTRANS_FORWARD, NULL, -1, NULL, &status);
    if (U_FAILURE(status) || icu == NULL) { if (error) *error = status; return NULL; }
    SouTransliterator *result = malloc(sizeof(SouTransliterator));
    if (result == NULL) { SOU_ICU(utrans_close)(icu); if (error) *error = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    result->icu = icu;
    if (error) *error = 0;
    return result;
}

void sou_transliterator_close(SouTransliterator *transliterator) {
    if (transliterator == NULL) return;
    SOU_ICU(utrans_close)(transliterator->icu);
    free(transliterator);
}

int32_t sou_transliterator_transform(SouTransliterator *transliterator, const uint32_t *input,
                                     int32_t length, uint32_t *output, int32_t capacity) {
    sou_icu_require_i18n();
    if (transliterator == NULL) return -1;
    UChar *units = NULL;
    int32_t textLength = to_utf16(input, length, &units);
    if (textLength < 0) return -1;
    // Transliteration may grow the text; give it room and retry when it says so.
    int32_t bufferCapacity = textLength * 2 + 16;
    for (;;) {
        UChar *buffer = malloc(sizeof(UChar) * (size_t)bufferCapacity);
        if (buffer == NULL) { free(units); return -1; }
        SOU_ICU(u_memcpy)(buffer, units, textLength);
        int32_t limit = textLength;
        int32_t resultLength = textLength;
        UErrorCode status = U_ZERO_ERROR;
        SOU_ICU(utrans_transUChars)(transliterator->icu, buffer, &resultLength, bufferCapacity, 0, &limit, &status);
        if (status == U_BUFFER_OVERFLOW_ERROR) {
            free(buffer);
            bufferCapacity = (resultLength + 16 > bufferCapacity * 2) ? resultLength + 16 : bufferCapacity * 2;
            continue;
        }
        free(units);
        if (U_FAILURE(status)) { free(buffer); return -1; }
        int32_t n = from_utf16(buffer, resultLength, output, capacity);
        free(buffer);
        return n;
    }
}

// MARK: - The variant folding table, derived lazily
//
// Same scheme as SouCharTable: entries written once (0 → final value) under `lock`, read with
// relaxed atomic loads; an entry holds all the reader needs, so no other ordering is required.

struct SouFoldTable {
    uint32_t *entries;                   // 0x110000 entries, 0 = not derived yet
    SouCharTable *characters;
    SouTransliterator *transliterator;   // used under `lock` only (ICU's is not thread-safe)
    pthread_mutex_t lock;
};

/// Transliterates `input` (code points), returning a malloc'ed array and its length in
/// `*length`, or NULL on failure.
static uint32_t *transliterate(SouTransliterator *transliterator, const uint32_t *input, int32_t count, int32_t *length) {
    int32_t capacity = count + count / 2 + 16;
    for (;;) {
        uint32_t *output = malloc(sizeof(uint32_t) * (size_t)capacity);
        if (output == NULL) return NULL;
        int32_t n = sou_transliterator_transform(transliterator, input, count, output, capacity);
        if (n < 0) { free(output); return NULL; }
        if (n <= capacity) { *length = n; return output; }
        free(output);
        capacity = n;
    }
}

/// Folds `characters[0..<count]` (Han/Kana code points) into `folded`, in one transliteration of
/// "c\n" for every character (no rule can see two characters at once); only one-to-one changes
/// are kept (a fold must not change a run's length). Returns 1 when done, 0 when ICU failed or
/// the output does not have one line per character.
static int fold_lines(SouTransliterator *transliterator, const uint32_t *characters, int32_t count, uint32_t *folded) {
    uint32_t input[2 * PAGE_SIZE];
    for (int32_t k = 0; k < count; k++) { input[2 * k] = characters[k]; input[2 * k + 1] = 0x0A; }
    int32_t length = 0;
    uint32_t *output = transliterate(transliterator, input, 2 * count, &length);
    if (output == NULL) return 0;
    int32_t index = 0, segmentStart = 0;
    for (int32_t k = 0; k < length; k++) {
        if (output[k] != 0x0A) continue;
        if (index >= count) { index = count + 1; break; }
        folded[index] = (k - segmentStart == 1) ? output[segmentStart] : characters[index];
        index++;
        segmentStart = k + 1;
    }
    free(output);
    return index == count;
}

/// Derives the fold entries of page `page` (caller holds the lock; the page is not derived yet).
static int derive_fold_page(SouFoldTable *table, uint32_t page) {
    uint32_t first = page << PAGE_SHIFT;
    uint32_t characters[PAGE_SIZE], folded[PAGE_SIZE];
    int32_t count = 0;
    for (uint32_t c = first; c < first + PAGE_SIZE; c++) {
        uint8_t value = __atomic_load_n(&table->characters->classes[c], __ATOMIC_RELAXED);
        if (value == 0) value = sou_char_table_derive(table->characters, c);
        if (value == 0) return U_MEMORY_ALLOCATION_ERROR;
        if ((value & 0x0F) == SOU_CLASS_HANKANA) characters[count++] = c;
    }
    if (count > 0 && !fold_lines(table->transliterator, characters, count, folded)) {
        // Not one line per character: fold each character in a call of its own.
        for (int32_t k = 0; k < count; k++)
            if (!fold_lines(table->transliterator, characters + k, 1, folded + k)) return U_INTERNAL_TRANSLITERATOR_ERROR;
    }
    uint32_t values[PAGE_SIZE];
    for (uint32_t k = 0; k < PAGE_SIZE; k++) values[k] = first + k;
    for (int32_t k = 0; k < count; k++) values[characters[k] - first] = folded[k];
    for (uint32_t k = 0; k < PAGE_SIZE; k++)
        __atomic_store_n(&table->entries[first + k], values[k] | SOU_FOLD_DERIVED, __ATOMIC_RELAXED);
    return 0;
}

SouFoldTable *sou_fold_table_open(SouCharTable *characters, const char *id, int32_t *error) {
    sou_icu_require();
    if (characters == NULL) { if (error) *error = U_ILLEGAL_ARGUMENT_ERROR; return NULL; }
    SouTransliterator *transliterator = sou_transliterator_open(id, error);
    if (transliterator == NULL) return NULL;
    SouFoldTable *table = calloc(1, sizeof(SouFoldTable));
    uint32_t *entries = calloc(0x110000, sizeof(uint32_t));
    if (table == NULL || entries == NULL || pthread_mutex_init(&table->lock, NULL) != 0) {
        free(table);
        free(entries);
        sou_transliterator_close(transliterator);
        if (error) *error = U_MEMORY_ALLOCATION_ERROR;
        return NULL;
    }
    table->entries = entries;
    table->characters = characters;
    table->transliterator = transliterator;
    // Fold one page of ideographs now (U+4E00...U+4EFF), so that a failing transliterator
    // fails here, not mid-analysis.
    int status = derive_fold_page(table, 0x4E00 >> PAGE_SHIFT);
    if (status != 0) {
        sou_fold_table_close(table);
        if (error) *error = status;
        return NULL;
    }
    if (error) *error = 0;
    return table;
}

void sou_fold_table_close(SouFoldTable *table) {
    if (table == NULL) return;
    sou_transliterator_close(table->transliterator);
    free(table->entries);
    pthread_mutex_destroy(&table->lock);
    free(table);
}

const uint32_t *sou_fold_table_entries(const SouFoldTable *table) { return table->entries; }

uint32_t sou_fold_table_derive(SouFoldTable *table, uint32_t c) {
    if (c >= 0x110000) return 0;
    pthread_mutex_lock(&table->lock);
    uint32_t value = __atomic_load_n(&table->entries[c], __ATOMIC_RELAXED);
    if (value == 0 && derive_fold_page(table, c >> PAGE_SHIFT) == 0)
        value = __atomic_load_n(&table->entries[c], __ATOMIC_RELAXED);
    pthread_mutex_unlock(&table->lock);
    return value;
}

// MARK: - Word breaks

int32_t sou_icu_word_segments(const uint8_t *text, int32_t length, int32_t *output, int32_t capacity) {
    sou_icu_require();
    UErrorCode status = U_ZERO_ERROR;
    UText *utext = SOU_ICU(utext_openUTF8)(NULL, (const char *)text, length, &status);
    if (U_FAILURE(status)) return -1;
    UBreakIterator *words = SOU_ICU(ubrk_open)(UBRK_WORD, "", NULL, 0, &status);
    if (U_FAILURE(status)) { SOU_ICU(utext_close)(utext); return -1; }
    SOU_ICU(ubrk_setUText)(words, utext, &status);
    if (U_FAILURE(status)) { SOU_ICU(ubrk_close)(words); SOU_ICU(utext_close)(utext); return -1; }
    int32_t n = 0;
    int32_t start = SOU_ICU(ubrk_first)(words);
    for (int32_t end = SOU_ICU(ubrk_next)(words); end != UBRK_DONE; start = end, end = SOU_ICU(ubrk_next)(words)) {
        int32_t ruleStatus = SOU_ICU(ubrk_getRuleStatus)(words);
        if (ruleStatus < UBRK_WORD_NONE_LIMIT) continue;
        if (output != NULL && 3 * n + 2 < capacity) {
            output[3 * n] = start;
            output[3 * n + 1] = end;
            output[3 * n + 2] = ruleStatus;
        }
        n++;
    }
    SOU_ICU(ubrk_close)(words);
    SOU_ICU(utext_close)(utext);
    return n;
}
