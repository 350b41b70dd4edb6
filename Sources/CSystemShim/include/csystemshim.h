#ifndef CSYSTEMSHIM_H
#define CSYSTEMSHIM_H
// C library calls Swift's Glibc module does not import, behind plain C functions.
#include <stddef.h>

/// Asks the C allocator to give freed memory back to the system once more than `bytes` are free
/// at the top of a heap (glibc: mallopt(M_TRIM_THRESHOLD, bytes)). Returns 1 when applied, 0 when
/// the C library has no such setting (non-glibc systems) or refused it.
int sou_set_malloc_trim_threshold(size_t bytes);

#endif
