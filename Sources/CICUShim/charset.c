// Charset detection and conversion (see soucharset.h). ICU reports warnings as negative error
// codes: only positive codes (U_FAILURE) are errors.
#include "soucharset.h"
#include <string.h>
#include "icuload.h"

static void copy_name(const char *from, char *to, size_t capacity) {
    if (to == NULL || capacity == 0) return;
    size_t n = strlen(from);
    if (n >= capacity) n = capacity - 1;
    memcpy(to, from, n);
    to[n] = 0;
}

int32_t sou_charset_detect(const uint8_t *input, int32_t length, char *name, size_t capacity, int32_t *confidence) {
    sou_icu_require_i18n();
    UErrorCode status = U_ZERO_ERROR;
    UCharsetDetector *detector = SOU_ICU(ucsdet_open)(&status);
    if (U_FAILURE(status)) return status;
    SOU_ICU(ucsdet_setText)(detector, (const char *)input, length, &status);
    const UCharsetMatch *match = U_SUCCESS(status) ? SOU_ICU(ucsdet_detect)(detector, &status) : NULL;
    int32_t result = -1;
    if (U_FAILURE(status)) {
        result = status;
    } else if (match != NULL) {
        const char *found = SOU_ICU(ucsdet_getName)(match, &status);
        int32_t c = SOU_ICU(ucsdet_getConfidence)(match, &status);
        if (U_SUCCESS(status) && found != NULL) {
            copy_name(found, name, capacity);
            if (confidence) *confidence = c;
            result = 0;
        } else if (U_FAILURE(status)) {
            result = status;
        }
    }
    SOU_ICU(ucsdet_close)(detector);
    return result;
}

int32_t sou_charset_exists(const char *name, char *canonical, size_t capacity) {
    sou_icu_require();
    UErrorCode status = U_ZERO_ERROR;
    UConverter *converter = SOU_ICU(ucnv_open)(name, &status);
    if (U_FAILURE(status) || converter == NULL) return 0;
    // ucnv_open falls back to a default for "" and NULL: only a real name counts
    const char *found = SOU_ICU(ucnv_getName)(converter, &status);
    int32_t ok = U_SUCCESS(status) && name != NULL && name[0] != 0;
    if (ok && found) copy_name(found, canonical, capacity);
    SOU_ICU(ucnv_close)(converter);
    return ok;
}

/// Counts each substitution, then substitutes as ICU's default callback does (U+FFFD; the
/// converter's own substitution character is not used: U+001A would be a control character).
static void count_and_substitute(const void *context, UConverterToUnicodeArgs *args, const char *codeUnits,
                                 int32_t length, UConverterCallbackReason reason, UErrorCode *err) {
    (void)codeUnits; (void)length;
    if (reason > UCNV_IRREGULAR) return;   // reset, close, clone: nothing to substitute
    int64_t *count = (int64_t *)context;
    if (count) *count += 1;
    static const UChar replacement = 0xFFFD;
    *err = U_ZERO_ERROR;
    SOU_ICU(ucnv_cbToUWriteUChars)(args, &replacement, 1, 0, err);
}

int64_t sou_charset_to_utf8(const char *name, const uint8_t *input, int64_t length, uint8_t *output,
                            int64_t capacity, int64_t *substitutions, int32_t *error) {
    sou_icu_require();
    UErrorCode status = U_ZERO_ERROR;
    int64_t count = 0;
    if (error) *error = 0;
    UConverter *from = SOU_ICU(ucnv_open)(name, &status);
    UConverter *to = U_SUCCESS(status) ? SOU_ICU(ucnv_open)("UTF-8", &status) : NULL;
    if (U_SUCCESS(status)) {
        SOU_ICU(ucnv_setToUCallBack)(from, count_and_substitute, &count, NULL, NULL, &status);
    }
    if (U_FAILURE(status)) {
        if (from) SOU_ICU(ucnv_close)(from);
        if (to) SOU_ICU(ucnv_close)(to);
        if (error) *error = status;
        return -1;
    }
    // Convert through a pivot buffer in pieces: the output may be larger than `capacity` (the
    // caller asks again with the returned size), so what does not fit is counted, not written.
    UChar pivot[4096];
    UChar *pivotSource = pivot, *pivotTarget = pivot;
    const char *source = (const char *)input;
    const char *sourceLimit = source + length;
    char scratch[16384];
    int64_t written = 0;
    int reset = 1;
    for (;;) {
        int64_t room = capacity - written;
        char *target;
        char *targetLimit;
        int spilling = room <= 0;
        if (spilling) {
            target = scratch;
            targetLimit = scratch + sizeof scratch;
        } else {
            target = (char *)output + written;
            targetLimit = target + (room > (1 << 30) ? (1 << 30) : room);
        }
        char *targetStart = target;
        status = U_ZERO_ERROR;
        SOU_ICU(ucnv_convertEx)(to, from, &target, targetLimit, &source, sourceLimit, pivot, &pivotSource, &pivotTarget,
                       pivot + 4096, reset, 1, &status);
        reset = 0;
        written += target - targetStart;
        if (status == U_BUFFER_OVERFLOW_ERROR) continue;
        if (U_FAILURE(status)) {
            SOU_ICU(ucnv_close)(from);
            SOU_ICU(ucnv_close)(to);
            if (error) *error = status;
            return -1;
        }
        break;
    }
    SOU_ICU(ucnv_close)(from);
    SOU_ICU(ucnv_close)(to);
    if (substitutions) *substitutions = count;
    return written;
}
