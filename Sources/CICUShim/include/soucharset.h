#ifndef SOUCHARSET_H
#define SOUCHARSET_H
// Charset detection and conversion for input files (ICU's ucsdet and ucnv), behind plain C.
#include <stdint.h>
#include <stddef.h>

/// Guesses the charset of `input[0..<length]` with ICU's charset detector (ucsdet). Writes the
/// best match's name ("GB18030", "Big5", "Shift_JIS", "EUC-JP", "EUC-KR", "UTF-16LE", …,
/// NUL-terminated) into `name` and its confidence (0–100) into `*confidence`. Returns 0 on
/// success, -1 when nothing matched, or a positive ICU error code.
int32_t sou_charset_detect(const uint8_t *input, int32_t length, char *name, size_t capacity, int32_t *confidence);

/// Whether ICU has a converter named `name` (an alias such as "gbk" or "sjis" counts). Writes
/// its canonical name into `canonical` (NUL-terminated) when found. Returns 1 or 0.
int32_t sou_charset_exists(const char *name, char *canonical, size_t capacity);

/// Converts `input[0..<length]` from the charset `name` to UTF-8 in `output[0..<capacity]`.
/// Byte sequences that are invalid or unmapped in that charset become U+FFFD, each counted in
/// `*substitutions`. Returns the number of UTF-8 bytes (which may exceed `capacity`: call again
/// with a larger buffer), or -1 on an ICU error (its code in `*error`).
int64_t sou_charset_to_utf8(const char *name, const uint8_t *input, int64_t length, uint8_t *output,
                            int64_t capacity, int64_t *substitutions, int32_t *error);

#endif
