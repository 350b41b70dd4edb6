// Terminal display width from ICU's East_Asian_Width and General_Category properties.
// Besides cicushim.c and charset.c, the one file that calls ICU (loaded on first use, icuload.c).
#include "souwidth.h"
#include "icuload.h"

int sou_display_width(uint32_t c) {
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    if (c >= 0x20 && c < 0x7F) return 1;
    if (c == 0xAD) return 1; // soft hyphen: Cf, but terminals show it
    if (c >= 0x1160 && c <= 0x11FF) return 0; // conjoining jamo join the preceding syllable
    sou_icu_require();
    int8_t gc = SOU_ICU(u_charType)((UChar32)c);
    if (gc == U_NON_SPACING_MARK || gc == U_ENCLOSING_MARK || gc == U_FORMAT_CHAR || gc == U_CONTROL_CHAR) return 0;
    int32_t ea = SOU_ICU(u_getIntPropertyValue)((UChar32)c, UCHAR_EAST_ASIAN_WIDTH);
    return (ea == U_EA_WIDE || ea == U_EA_FULLWIDTH) ? 2 : 1;
}
