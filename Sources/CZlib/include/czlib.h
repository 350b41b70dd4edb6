#ifndef CZLIB_H
#define CZLIB_H
// zlib (Debian zlib1g-dev) for reading .jsonl.gz input, inflating stored text and deflating a
// stored-text block over 1 MiB; libdeflate (libdeflate-dev) for deflating the other blocks.
#include <zlib.h>
#include <libdeflate.h>
#endif
