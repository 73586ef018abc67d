// LD_PRELOAD shim for the fault-injection tests: the Nth call (counted across write, pwrite,
// fsync, fdatasync, rename and unlink) fails with EIO, or ENOSPC with SIGTRAIL_FAULT_ERRNO=ENOSPC.
// SIGTRAIL_FAULT_AT=N picks the call; SIGTRAIL_FAULT_COUNT=1 prints how many calls a run made.
// SIGTRAIL_SHRINK_MATCH=text cuts every file whose path holds `text` to a third of its size right
// after it is memory-mapped, as logrotate's copytruncate or a sync tool would under a reader.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static atomic_long calls = 0;
static long fail_at = -1;
static int err = EIO;

static void report_count(void) {
  char m[64];
  int k = snprintf(m, sizeof m, "FAULT-CALLS %ld\n", (long)atomic_load(&calls));
  syscall(SYS_write, 2, m, k);
}

static int should_fail(void) {
  if (fail_at < 0) {
    const char *a = getenv("SIGTRAIL_FAULT_AT");
    fail_at = a ? atol(a) : 0;
    const char *e = getenv("SIGTRAIL_FAULT_ERRNO");
    if (e && strcmp(e, "ENOSPC") == 0) err = ENOSPC;
    if (getenv("SIGTRAIL_FAULT_COUNT")) atexit(report_count);
  }
  long n = atomic_fetch_add(&calls, 1) + 1;
  if (fail_at <= 0) return 0;
  return n == fail_at;
}

#define WRAP(ret, name, params, args) \
  ret name params { \
    static ret (*real) params = 0; \
    if (!real) real = (ret (*) params)dlsym(RTLD_NEXT, #name); \
    if (should_fail()) { \
      if (getenv("SIGTRAIL_FAULT_TRACE")) { \
        char m[256]; int k = snprintf(m, sizeof m, "FAULT %s\n", #name); syscall(SYS_write, 2, m, k); } \
      errno = err; return (ret)-1; } \
    return real args; \
  }

WRAP(ssize_t, write, (int fd, const void *b, size_t n), (fd, b, n))
WRAP(ssize_t, pwrite, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o))
WRAP(ssize_t, pwrite64, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o))
WRAP(int, fsync, (int fd), (fd))
WRAP(int, fdatasync, (int fd), (fd))
WRAP(int, rename, (const char *a, const char *b), (a, b))
WRAP(int, unlink, (const char *a), (a))

void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset) {
  static void *(*real)(void *, size_t, int, int, int, off_t) = 0;
  if (!real) real = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
  void *mapped = real(addr, length, prot, flags, fd, offset);
  const char *match = getenv("SIGTRAIL_SHRINK_MATCH");
  if (match && fd >= 0 && mapped != MAP_FAILED) {
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n > 0) {
      path[n] = 0;
      if (strstr(path, match)) truncate(path, (off_t)(length / 3));
    }
  }
  return mapped;
}
