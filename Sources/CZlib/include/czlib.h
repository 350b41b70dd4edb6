#ifndef CZLIB_H
#define CZLIB_H
// zlib (Debian zlib1g-dev) for reading .jsonl.gz input and compressing stored text.
#include <zlib.h>
#endif
