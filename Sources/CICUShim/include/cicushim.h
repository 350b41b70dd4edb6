#ifndef CICUSHIM_H
#define CICUSHIM_H
// The only bridge between Sou and ICU. Nothing here exposes an ICU type:
// Swift sees plain C integers, buffers and opaque handles.
#include <stdint.h>
#include <stddef.h>

/// Writes ICU's version ("72.1") into `buffer` (NUL-terminated). Returns 0 on success.
int sou_icu_version(char *buffer, size_t capacity);

#endif
