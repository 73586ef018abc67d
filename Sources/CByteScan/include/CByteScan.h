// Byte-class scans that Swift's SIMD types do not compile to vector instructions.
#ifndef SIGTRAIL_CBYTESCAN_H
#define SIGTRAIL_CBYTESCAN_H

#include <stddef.h>
#include <stdint.h>

/// Whether any of `n` bytes at `p` is one of `a`, `b`, `c` or `d`: sixteen bytes a step.
int sigtrail_has_any_of4(const void *p, size_t n, uint8_t a, uint8_t b, uint8_t c, uint8_t d);

#endif
