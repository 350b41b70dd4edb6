#ifndef CICUSHIM_H
#define CICUSHIM_H
// The only bridge between Sou and ICU. Nothing here exposes an ICU type:
// Swift sees plain C integers, buffers and opaque handles.
#include <stdint.h>
#include <stddef.h>

/// Writes ICU's version ("72.1") into `buffer` (NUL-terminated). Returns 0 on success.
int sou_icu_version(char *buffer, size_t capacity);

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
/// flags. Returns 0 on success, a positive ICU error code otherwise.
int sou_char_classes(uint8_t *table, uint32_t count);

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

// MARK: - Word breaks (a reference for tests)

/// Segments UTF-8 `text` with ICU's word break iterator (locale root) and writes, for each
/// segment whose rule status is not "none" (words, numbers, kana, ideographs), three integers
/// to `output`: start byte, end byte, rule status. Returns the number of such segments (which
/// may exceed `capacity / 3`: call again with a larger buffer), or -1 on an ICU error.
int32_t sou_icu_word_segments(const uint8_t *text, int32_t length, int32_t *output, int32_t capacity);

#endif
