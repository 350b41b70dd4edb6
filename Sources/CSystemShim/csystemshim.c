#include "csystemshim.h"
#include <limits.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int sou_set_malloc_trim_threshold(size_t bytes) {
#if defined(__GLIBC__)
    if (bytes > (size_t)INT_MAX) return 0;
    return mallopt(M_TRIM_THRESHOLD, (int)bytes) == 1 ? 1 : 0;
#else
    (void)bytes;
    return 0;
#endif
}
