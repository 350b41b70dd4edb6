// Terminal display width from ICU's East_Asian_Width and General_Category properties.
// Besides cicushim.c and charset.c, the one file that calls ICU (loaded on first use, icuload.c).
#include "souwidth.h"
#include "cicushim.h"
#include "icuload.h"

// Widths of BMP code points already asked for, plus one (0: not looked up yet): a snippet's
// characters repeat, and each look-up is two ICU property reads (~100 instructions). 64 KiB of
// zero-filled static storage, of which a process touches only the pages of the characters it
// prints (the CJK ideographs: 5 pages). Entries are read and written with relaxed atomics: two
// threads deriving the same entry store the same value.
static uint8_t bmp_widths[0x10000];

// The table whose character data file answers instead (sou_display_width_use), or NULL.
static const SouCharTable *file_table;

int sou_display_width_derived(uint32_t c) {
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    if (c >= 0x20 && c < 0x7F) return 1;
    if (c >= 0x1160 && c <= 0x11FF) return 0; // conjoining jamo join the preceding syllable
    if (c == 0xAD) return 1; // soft hyphen: Cf, but terminals show it
    sou_icu_require();
    int8_t gc = SOU_ICU(u_charType)((UChar32)c);
    if (gc == U_NON_SPACING_MARK || gc == U_ENCLOSING_MARK || gc == U_FORMAT_CHAR || gc == U_CONTROL_CHAR) return 0;
    int32_t ea = SOU_ICU(u_getIntPropertyValue)((UChar32)c, UCHAR_EAST_ASIAN_WIDTH);
    return (ea == U_EA_WIDE || ea == U_EA_FULLWIDTH) ? 2 : 1;
}

void sou_display_width_use(const struct SouCharTable *table) {
    __atomic_store_n(&file_table, table, __ATOMIC_RELEASE);
}

int sou_display_width(uint32_t c) {
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    if (c >= 0x20 && c < 0x7F) return 1;
    const SouCharTable *table = __atomic_load_n(&file_table, __ATOMIC_ACQUIRE);
    if (table != NULL) {
        int width = sou_char_table_width(table, c);
        if (width >= 0) return width;
    }
    if (c > 0xFFFF) return sou_display_width_derived(c);
    uint8_t known = __atomic_load_n(&bmp_widths[c], __ATOMIC_RELAXED);
    if (known != 0) return known - 1;
    int width = sou_display_width_derived(c);
    __atomic_store_n(&bmp_widths[c], (uint8_t)(width + 1), __ATOMIC_RELAXED);
    return width;
}
