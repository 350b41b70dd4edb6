#ifndef CICUSHIM_H
#define CICUSHIM_H
// The only bridge between Sou and ICU. Nothing here exposes an ICU type:
// Swift sees plain C integers, buffers and opaque handles.
#include <stdint.h>
#include <stddef.h>

/// Writes ICU's version ("72.1") into `buffer` (NUL-terminated). Returns 0 on success.
int sou_icu_version(char *buffer, size_t capacity);

/// The version of the ICU headers the shim was compiled against (U_ICU_VERSION, "72.1"): the
/// ICU the shim loads (libicuuc.so.72), named without loading it.
const char *sou_icu_header_version(void);

// MARK: - Character classes

/// Analyzer character classes (low 4 bits of a class-table byte). They are derived from ICU's
/// character properties (Script, General_Category, White_Space, Word_Break) by
/// `sou_char_classes`; the analyzer applies them to NFKC_Casefold-normalized text.
enum {
    SOU_CLASS_OTHER = 0,        ///< punctuation, symbols, emoji, controls, unassigned: a position gap
    SOU_CLASS_SPACE = 1,        ///< White_Space other than \n and \r: separates, no gap
    SOU_CLASS_NEWLINE = 2,      ///< \n or \r: separates, no gap; may be a soft line break
    SOU_CLASS_HANKANA = 3,      ///< Han (incl. 々), Hiragana, Katakana (incl. ー) letters
    SOU_CLASS_HANGUL = 4,       ///< Hangul letters (syllables and jamo)
    SOU_CLASS_LETTER = 5,       ///< other letters (Word_Break ALetter / Hebrew_Letter, any L*)
    SOU_CLASS_DIGIT = 6,        ///< Word_Break Numeric
    SOU_CLASS_MARK = 7,         ///< Word_Break Extend that is a mark (Mn, Mc): part of a word
    SOU_CLASS_IGNORABLE = 8,    ///< other Extend / Format / ZWJ: transparent
    SOU_CLASS_MIDLETTER = 9,    ///< Word_Break MidLetter (without ':', as in ICU's root rules)
    SOU_CLASS_MIDNUM = 10,      ///< Word_Break MidNum (',' ';')
    SOU_CLASS_MIDNUMLET = 11,   ///< Word_Break MidNumLet and Single_Quote ('.' '\'')
    SOU_CLASS_EXTENDNUMLET = 12 ///< Word_Break ExtendNumLet ('_')
};

/// Flag bit of a class-table byte: NFKC_Casefold changes the character (taken alone).
#define SOU_FLAG_MAPPED 0x10
/// Flag bit of a class-table byte: the character has no NFKC_Casefold normalization boundary
/// before it (it may combine with the preceding character).
#define SOU_FLAG_NO_BOUNDARY_BEFORE 0x20

/// Fills `table[c]` for every code point `c < count` (count ≤ 0x110000) with its class and
/// flags, looking every property up for each code point (about 600 instructions each). The
/// reference the lazily derived `SouCharTable` is tested against; not used by the analyzer.
/// Returns 0 on success, a positive ICU error code otherwise.
int sou_char_classes(uint8_t *table, uint32_t count);

// MARK: - The character table, derived lazily

/// Entries of a character table: every code point 0...0x10FFFF, plus 0x110000 (the code point
/// the analyzer's UTF-8 decoder returns for an invalid sequence; class other, no flags).
#define SOU_CHAR_TABLE_SIZE 0x110001u
/// Flag bit of a class-table byte: the entry has been derived (a derived byte is never 0).
#define SOU_FLAG_DERIVED 0x80

/// The class bytes (as `sou_char_classes` computes them, plus SOU_FLAG_DERIVED) and the
/// NFKC_Casefold mappings of all code points, derived from ICU when first needed: the class of
/// each code point on its own, the normalization flags and mappings a page of 256 code points
/// at a time. Safe to use from any number of threads at once. Opaque.
typedef struct SouCharTable SouCharTable;

/// Opens an empty table (and derives U+0000...U+00FF, so that a failing ICU fails here).
/// Returns NULL on failure and stores ICU's error code in `*error` (when not NULL).
SouCharTable *sou_char_table_open(int32_t *error);

/// Opens a table whose pages come from the character data file at `path` (written by
/// `sou_char_cache_write`; layout in charcache.c) instead of ICU: no ICU call is made until a
/// page of the file fails its check (that page is then derived from ICU). NULL when the file is
/// missing, unreadable, for another ICU version or derivation, or damaged.
SouCharTable *sou_char_table_open_file(const char *path);

/// Derives every entry of a table from ICU (~700 million instructions, a third of a second) and
/// writes them, with the display widths, to the character data file `path`: to a temporary file
/// beside it, then renamed over it, so that a reader sees the old file or the new one whole.
/// Returns 0, or an errno value (ENOTSUP when the loaded ICU is not the version the shim was
/// compiled against; EIO when ICU fails).
int sou_char_cache_write(const char *path);

/// Sets the character data file (NULL or "" for none) that `sou_char_data_file` reports, and
/// whether it may be written when missing: the CLI sets it once, before the first analysis, to
/// a file in its cache folder.
void sou_char_data_file_set(const char *path, int writable);

/// Copies the configured character data file's path into `buffer` (NUL-terminated) and returns
/// its length; 0 when none is set or it does not fit. `*writable` (when not NULL): whether the
/// file may be written.
size_t sou_char_data_file(char *buffer, size_t capacity, int *writable);

/// The display width (0, 1, 2) of `c` from the file of a table opened by
/// `sou_char_table_open_file`; -1 for other tables or an entry that does not check.
int sou_char_table_width(const SouCharTable *table, uint32_t c);

/// The version of the rules that derive a table's entries and the display widths from ICU (a
/// character data file of another version is not read). Bump it whenever `char_class`, the
/// normalization flags, the mappings or `sou_display_width` change.
#define SOU_CHAR_DERIVATION 1u

/// Frees a table (NULL is ignored). No other thread may be using it.
void sou_char_table_close(SouCharTable *table);

/// The table's SOU_CHAR_TABLE_SIZE class bytes, valid until the table is closed. A byte is 0
/// until it is derived (then call `sou_char_table_derive`); read bytes only with
/// `sou_char_table_load`, as other threads may be deriving other code points.
const uint8_t *sou_char_table_classes(const SouCharTable *table);

/// The class byte of `c` (< SOU_CHAR_TABLE_SIZE), or 0 when it is not derived yet: a relaxed
/// atomic load, as cheap as a plain one.
static inline uint8_t sou_char_table_load(const uint8_t *classes, uint32_t c) {
    return __atomic_load_n(classes + c, __ATOMIC_RELAXED);
}

/// Derives `c` if needed (under a lock) and returns the class byte of `c`: non-zero,
/// or 0 when `c` is out of range or ICU failed (out of memory).
uint8_t sou_char_table_derive(SouCharTable *table, uint32_t c);

/// The table's mapping chunks, one pointer per page of 256 code points (valid until the table
/// is closed): read them only with `sou_char_table_mapping`.
uint32_t *const *sou_char_table_chunks(const SouCharTable *table);

/// The NFKC_Casefold mapping of `c` (< 0x110000), a code point whose class byte (already read
/// as non-zero) has SOU_FLAG_MAPPED: `*count` code points at the returned address, valid until
/// the table is closed. (Other code points: `*count` is 0.) A chunk holds 256 entries
/// (pool offset << 8 | count), then the pool.
static inline const uint32_t *sou_char_table_mapping(uint32_t *const *chunks, uint32_t c, int32_t *count) {
    // Pairs with the release fence between a page's chunk and each of its class bytes.
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    const uint32_t *chunk = __atomic_load_n(&chunks[c >> 8], __ATOMIC_RELAXED);
    if (chunk == NULL) { *count = 0; return NULL; }
    uint32_t entry = chunk[c & 0xFF];
    *count = (int32_t)(entry & 0xFF);
    return chunk + 256 + (entry >> 8);
}

// MARK: - Normalization

/// NFKC_Casefold of the code points `input[0..<length]` (ICU's unorm2_getNFKCCasefoldInstance),
/// written as code points to `output`. Returns the number of output code points (which may
/// exceed `capacity`: call again with a larger buffer), or -1 on an ICU error.
int32_t sou_nfkc_casefold(const uint32_t *input, int32_t length, uint32_t *output, int32_t capacity);

// MARK: - Transliteration

/// An ICU transliterator (opaque). Not thread-safe: one owner at a time.
typedef struct SouTransliterator SouTransliterator;

/// Opens ICU's transliterator `id` (e.g. "Traditional-Simplified"). Returns NULL on failure and
/// stores ICU's error code in `*error` (when `error` is not NULL).
SouTransliterator *sou_transliterator_open(const char *id, int32_t *error);

/// Closes a transliterator opened by `sou_transliterator_open` (NULL is ignored).
void sou_transliterator_close(SouTransliterator *transliterator);

/// Transliterates the code points `input[0..<length]`, writing code points to `output`.
/// Returns the number of output code points (which may exceed `capacity`: call again with a
/// larger buffer), or -1 on an ICU error.
int32_t sou_transliterator_transform(SouTransliterator *transliterator, const uint32_t *input,
                                     int32_t length, uint32_t *output, int32_t capacity);

// MARK: - The variant folding table, derived lazily

/// Flag bit of a fold-table entry: the entry has been derived (a derived entry is never 0).
#define SOU_FOLD_DERIVED 0x80000000u

/// A character-by-character fold of Han/Kana characters through an ICU transliterator (e.g.
/// "Traditional-Simplified"), derived a page of 256 code points at a time, when first needed.
/// Safe to use from any number of threads at once. Opaque.
typedef struct SouFoldTable SouFoldTable;

/// Opens transliterator `id` and an empty fold table over the classes of `characters` (which
/// must outlive it); folds U+4E00...U+4EFF at once, so that a failing transliterator fails here.
/// Returns NULL on failure and stores ICU's error code in `*error` (when not NULL).
SouFoldTable *sou_fold_table_open(SouCharTable *characters, const char *id, int32_t *error);

/// Frees a fold table (NULL is ignored). No other thread may be using it.
void sou_fold_table_close(SouFoldTable *table);

/// The table's 0x110000 entries, valid until it is closed: 0 until the page of the code point
/// is derived (then call `sou_fold_table_derive`), else SOU_FOLD_DERIVED | the folded code
/// point (the code point itself when it is not changed, or not Han/Kana). Read them only with
/// `sou_fold_table_load`.
const uint32_t *sou_fold_table_entries(const SouFoldTable *table);

/// The entry of `c` (< 0x110000), or 0 when it is not derived yet: a relaxed atomic load.
static inline uint32_t sou_fold_table_load(const uint32_t *entries, uint32_t c) {
    return __atomic_load_n(entries + c, __ATOMIC_RELAXED);
}

/// Derives the page of `c` if needed (under a lock) and returns the entry of `c`: non-zero, or
/// 0 when `c` is out of range or ICU failed.
uint32_t sou_fold_table_derive(SouFoldTable *table, uint32_t c);

// MARK: - Word breaks (a reference for tests)

/// Segments UTF-8 `text` with ICU's word break iterator (locale root) and writes, for each
/// segment whose rule status is not "none" (words, numbers, kana, ideographs), three integers
/// to `output`: start byte, end byte, rule status. Returns the number of such segments (which
/// may exceed `capacity / 3`: call again with a larger buffer), or -1 on an ICU error.
int32_t sou_icu_word_segments(const uint8_t *text, int32_t length, int32_t *output, int32_t capacity);

#endif
