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

/// `sou_display_width` asked of ICU every time (no memo, no character data file): what the
/// character data file stores.
int sou_display_width_derived(uint32_t c);

struct SouCharTable;
/// Takes display widths from `table`'s character data file from now on (a table opened by
/// `sou_char_table_open_file`, which must stay open for the rest of the process).
void sou_display_width_use(const struct SouCharTable *table);

#endif
