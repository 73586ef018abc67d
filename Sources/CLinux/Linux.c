// Linux calls the Swift Glibc module does not export (they need _GNU_SOURCE).
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>

#include "CLinux.h"

int sigtrail_memfd(const char *name) { return memfd_create(name, MFD_CLOEXEC); }

int sigtrail_tmpfile(const char *directory) { return open(directory, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600); }
