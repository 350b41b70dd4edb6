#include "cicushim.h"
#include <unicode/uversion.h>

int sou_icu_version(char *buffer, size_t capacity) {
    if (buffer == NULL || capacity < U_MAX_VERSION_STRING_LENGTH) return -1;
    UVersionInfo info;
    u_getVersion(info);
    u_versionToString(info, buffer);
    return 0;
}
