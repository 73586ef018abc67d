#ifndef SIGTRAIL_CLINUX_H
#define SIGTRAIL_CLINUX_H

/// An anonymous in-memory file (memfd), close-on-exec; -1 with errno on failure.
int sigtrail_memfd(const char *name);

/// An unlinked temporary file in `directory` (O_TMPFILE), read-write; -1 with errno on failure.
int sigtrail_tmpfile(const char *directory);

#include <stddef.h>

/// Guards a read-only mapping of an input for the calling thread until `sigtrail_guard_end`: a
/// load from a page the file no longer has (truncated while mapped) reads zeros instead of
/// raising SIGBUS, and the offset of the first such page is recorded.
void sigtrail_guard_begin(const void *base, size_t length);

/// Offset in the guarded mapping of the first page that vanished, or -1.
long long sigtrail_guard_fault(void);

/// Ends the calling thread's guard; returns what `sigtrail_guard_fault` would.
long long sigtrail_guard_end(void);

#endif
