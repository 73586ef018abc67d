#ifndef SIGTRAIL_CLINUX_H
#define SIGTRAIL_CLINUX_H

/// An anonymous in-memory file (memfd), close-on-exec; -1 with errno on failure.
int sigtrail_memfd(const char *name);

/// An unlinked temporary file in `directory` (O_TMPFILE), read-write; -1 with errno on failure.
int sigtrail_tmpfile(const char *directory);

#endif
