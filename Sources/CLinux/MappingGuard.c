// Turns SIGBUS on a memory-mapped input that shrank under the reader into a flag the reader
// checks: the handler maps zero pages over the vanished part of the calling thread's guarded
// range and records where it began, so the faulting load returns zeros instead of killing the
// process. Faults outside a guarded range go to the previous handler, as before.
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "CLinux.h"

static __thread uintptr_t guard_base;
static __thread uintptr_t guard_end;
static __thread uintptr_t guard_fault;  // first faulting page, 0 when none
static struct sigaction previous;
static uintptr_t page_size;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void on_sigbus(int sig, siginfo_t *info, void *context) {
  uintptr_t address = (uintptr_t)info->si_addr;
  if (guard_base != 0 && address >= guard_base && address < guard_end) {
    uintptr_t page = address & ~(page_size - 1);
    // Everything from the fault to the end: a shrunk file loses its tail.
    if (mmap((void *)page, guard_end - page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
        MAP_FAILED) {
      if (guard_fault == 0 || page < guard_fault) guard_fault = page;
      return;
    }
  }
  // Not a guarded input: restore the previous disposition; the load faults again and gets it.
  sigaction(SIGBUS, &previous, NULL);
  (void)sig;
  (void)context;
}

static void install(void) {
  page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_sigbus;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, &previous);
}

void sigtrail_guard_begin(const void *base, size_t length) {
  pthread_once(&once, install);
  guard_fault = 0;
  guard_base = (uintptr_t)base;
  guard_end = (uintptr_t)base + length;
}

long long sigtrail_guard_fault(void) {
  return guard_fault == 0 ? -1 : (long long)(guard_fault - guard_base);
}

long long sigtrail_guard_end(void) {
  long long fault = sigtrail_guard_fault();
  guard_base = 0;
  guard_end = 0;
  guard_fault = 0;
  return fault;
}
