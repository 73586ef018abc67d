// glibc's allocator settings (mallopt), which the Glibc module does not expose.
#include <malloc.h>
