#ifndef SOUWIDTH_H
#define SOUWIDTH_H
// Terminal display width of a code point, from ICU's character properties (see width.c).
#include <stdint.h>

/// Columns code point `c` takes on a terminal: 2 for East_Asian_Width Wide and Fullwidth,
/// 0 for marks that combine (Mn, Me), format characters (Cf, except U+00AD soft hyphen),
/// controls (Cc), Hangul conjoining medial vowels and final consonants (U+1160–U+11FF), and
/// any value that is not a code point; 1 for everything else (Ambiguous counts as 1, as in
/// non-CJK locales and in wcwidth).
int sou_display_width(uint32_t c);

#endif
