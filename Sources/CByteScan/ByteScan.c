#include "CByteScan.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>

int sigtrail_has_any_of4(const void *p, size_t n, uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  const uint8_t *s = p;
  const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b);
  const __m128i vc = _mm_set1_epi8((char)c), vd = _mm_set1_epi8((char)d);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)),
                             _mm_or_si128(_mm_cmpeq_epi8(v, vc), _mm_cmpeq_epi8(v, vd)));
    if (_mm_movemask_epi8(m)) return 1;
  }
  if (i < n && n >= 16) {
    // The last vector overlaps the one before: no byte loop for the tail.
    __m128i v = _mm_loadu_si128((const __m128i *)(s + n - 16));
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)),
                             _mm_or_si128(_mm_cmpeq_epi8(v, vc), _mm_cmpeq_epi8(v, vd)));
    return _mm_movemask_epi8(m) != 0;
  }
  for (; i < n; i++) {
    uint8_t x = s[i];
    if (x == a || x == b || x == c || x == d) return 1;
  }
  return 0;
}

#else

int sigtrail_has_any_of4(const void *p, size_t n, uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  const uint8_t *s = p;
  for (size_t i = 0; i < n; i++) {
    uint8_t x = s[i];
    if (x == a || x == b || x == c || x == d) return 1;
  }
  return 0;
}

#endif
