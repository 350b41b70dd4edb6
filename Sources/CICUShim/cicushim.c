// The only file of Sou that includes ICU headers. ICU reports warnings as negative error
// codes: only positive codes (U_FAILURE) are errors.
#include "cicushim.h"
#include <stdlib.h>
#include <unicode/uversion.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>
#include <unicode/ubrk.h>
#include <unicode/utext.h>

int sou_icu_version(char *buffer, size_t capacity) {
    if (buffer == NULL || capacity < U_MAX_VERSION_STRING_LENGTH) return -1;
    UVersionInfo info;
    u_getVersion(info);
    u_versionToString(info, buffer);
    return 0;
}

// MARK: - Character classes

static int is_letter_category(int8_t gc) {
    return gc == U_UPPERCASE_LETTER || gc == U_LOWERCASE_LETTER || gc == U_TITLECASE_LETTER ||
           gc == U_MODIFIER_LETTER || gc == U_OTHER_LETTER || gc == U_LETTER_NUMBER;
}

static uint8_t char_class(UChar32 c) {
    if (c == '\n' || c == '\r') return SOU_CLASS_NEWLINE;
    if (u_isUWhiteSpace(c)) return SOU_CLASS_SPACE;
    int8_t gc = u_charType(c);
    if (gc == U_UNASSIGNED || gc == U_PRIVATE_USE_CHAR || gc == U_SURROGATE || gc == U_CONTROL_CHAR)
        return SOU_CLASS_OTHER;
    UErrorCode error = U_ZERO_ERROR;
    UScriptCode script = uscript_getScript(c, &error);
    if (U_FAILURE(error)) script = USCRIPT_INVALID_CODE;
    if (is_letter_category(gc)) {
        if (script == USCRIPT_HAN || script == USCRIPT_HIRAGANA || script == USCRIPT_KATAKANA)
            return SOU_CLASS_HANKANA;
        if (script == USCRIPT_HANGUL) return SOU_CLASS_HANGUL;
        // ー (U+30FC), 〆 (U+3006) and their kin are Script=Common letters whose
        // Script_Extensions name Hiragana, Katakana or Han.
        if ((script == USCRIPT_COMMON || script == USCRIPT_INHERITED) &&
            (uscript_hasScript(c, USCRIPT_HIRAGANA) || uscript_hasScript(c, USCRIPT_KATAKANA) ||
             uscript_hasScript(c, USCRIPT_HAN)))
            return SOU_CLASS_HANKANA;
    }
    int32_t wb = u_getIntPropertyValue(c, UCHAR_WORD_BREAK);
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

int sou_char_classes(uint8_t *table, uint32_t count) {
    if (table == NULL || count > 0x110000) return U_ILLEGAL_ARGUMENT_ERROR;
    UErrorCode error = U_ZERO_ERROR;
    const UNormalizer2 *nfkc = unorm2_getNFKCCasefoldInstance(&error);
    if (U_FAILURE(error)) return error;
    for (uint32_t c = 0; c < count; c++) {
        uint8_t value = char_class((UChar32)c);
        if (c < 0xD800 || c > 0xDFFF) {
            UChar units[2];
            int32_t length = 0;
            U16_APPEND_UNSAFE(units, length, c);
            UErrorCode e = U_ZERO_ERROR;
            if (!unorm2_isNormalized(nfkc, units, length, &e) && U_SUCCESS(e)) value |= SOU_FLAG_MAPPED;
            if (!unorm2_hasBoundaryBefore(nfkc, (UChar32)c)) value |= SOU_FLAG_NO_BOUNDARY_BEFORE;
        }
        table[c] = value;
    }
    return 0;
}

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
    UErrorCode error = U_ZERO_ERROR;
    const UNormalizer2 *nfkc = unorm2_getNFKCCasefoldInstance(&error);
    if (U_FAILURE(error)) return -1;
    UChar *source = NULL;
    int32_t sourceLength = to_utf16(input, length, &source);
    if (sourceLength < 0) return -1;
    int32_t needed = unorm2_normalize(nfkc, source, sourceLength, NULL, 0, &error);
    if (error != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(error)) { free(source); return -1; }
    error = U_ZERO_ERROR;
    UChar *target = malloc(sizeof(UChar) * (size_t)(needed + 1));
    if (target == NULL) { free(source); return -1; }
    int32_t written = unorm2_normalize(nfkc, source, sourceLength, target, needed + 1, &error);
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
    UErrorCode status = U_ZERO_ERROR;
    UChar wideID[128];
    if (id == NULL) { if (error) *error = U_ILLEGAL_ARGUMENT_ERROR; return NULL; }
    u_uastrncpy(wideID, id, 127);
    wideID[127] = 0;
    UTransliterator *icu = utrans_openU(wideID, -1, UTRANS_FORWARD, NULL, -1, NULL, &status);
    if (U_FAILURE(status) || icu == NULL) { if (error) *error = status; return NULL; }
    SouTransliterator *result = malloc(sizeof(SouTransliterator));
    if (result == NULL) { utrans_close(icu); if (error) *error = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    result->icu = icu;
    if (error) *error = 0;
    return result;
}

void sou_transliterator_close(SouTransliterator *transliterator) {
    if (transliterator == NULL) return;
    utrans_close(transliterator->icu);
    free(transliterator);
}

int32_t sou_transliterator_transform(SouTransliterator *transliterator, const uint32_t *input,
                                     int32_t length, uint32_t *output, int32_t capacity) {
    if (transliterator == NULL) return -1;
    UChar *units = NULL;
    int32_t textLength = to_utf16(input, length, &units);
    if (textLength < 0) return -1;
    // Transliteration may grow the text; give it room and retry when it says so.
    int32_t bufferCapacity = textLength * 2 + 16;
    for (;;) {
        UChar *buffer = malloc(sizeof(UChar) * (size_t)bufferCapacity);
        if (buffer == NULL) { free(units); return -1; }
        u_memcpy(buffer, units, textLength);
        int32_t limit = textLength;
        int32_t resultLength = textLength;
        UErrorCode status = U_ZERO_ERROR;
        utrans_transUChars(transliterator->icu, buffer, &resultLength, bufferCapacity, 0, &limit, &status);
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

// MARK: - Word breaks

int32_t sou_icu_word_segments(const uint8_t *text, int32_t length, int32_t *output, int32_t capacity) {
    UErrorCode status = U_ZERO_ERROR;
    UText *utext = utext_openUTF8(NULL, (const char *)text, length, &status);
    if (U_FAILURE(status)) return -1;
    UBreakIterator *words = ubrk_open(UBRK_WORD, "", NULL, 0, &status);
    if (U_FAILURE(status)) { utext_close(utext); return -1; }
    ubrk_setUText(words, utext, &status);
    if (U_FAILURE(status)) { ubrk_close(words); utext_close(utext); return -1; }
    int32_t n = 0;
    int32_t start = ubrk_first(words);
    for (int32_t end = ubrk_next(words); end != UBRK_DONE; start = end, end = ubrk_next(words)) {
        int32_t ruleStatus = ubrk_getRuleStatus(words);
        if (ruleStatus < UBRK_WORD_NONE_LIMIT) continue;
        if (output != NULL && 3 * n + 2 < capacity) {
            output[3 * n] = start;
            output[3 * n + 1] = end;
            output[3 * n + 2] = ruleStatus;
        }
        n++;
    }
    ubrk_close(words);
    utext_close(utext);
    return n;
}
