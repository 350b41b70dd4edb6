// The character data file (charcache.c): private to CICUShim.
#ifndef SOU_CHARCACHE_H
#define SOU_CHARCACHE_H
#include <stdint.h>

typedef struct SouCharCache SouCharCache;

/// Maps the file at `path` and checks its header and the checksum of its body. NULL when the
/// file is missing, unreadable, or does not check (it is then ignored).
SouCharCache *sou_char_cache_map(const char *path);

/// Unmaps a file mapped by sou_char_cache_map (NULL is ignored).
void sou_char_cache_unmap(SouCharCache *cache);

/// The 256 class bytes of page `page` (fewer are meaningful on the last page) and its mapping
/// chunk (NULL when no code point of the page is mapped), checked: every class byte derived and
/// of a known class, every mapping inside the file. Returns 0, or -1 when the page does not check.
int sou_char_cache_page(const SouCharCache *cache, uint32_t page, const uint8_t **classes, const uint32_t **chunk);

/// The display width (0, 1 or 2) of code point `c` from the file; -1 when the entry does not
/// check.
int sou_char_cache_width(const SouCharCache *cache, uint32_t c);

#endif
