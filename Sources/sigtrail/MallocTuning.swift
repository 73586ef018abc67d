import CMalloc

/// glibc's allocator serves blocks over 128 KiB (raised as they are freed, up to 32 MiB) with
/// fresh `mmap`s and hands freed memory back at once. Scans and indexing allocate and free
/// megabyte-sized column buffers and pages all the time, so the kernel zeroed every page again
/// and again: close to half of a scan's CPU time was in page faults. With these settings freed
/// buffers are reused from the heap; the process keeps its high-water mark instead. Scans
/// (`query`, `hunt`) only: indexing bounds its memory by what it holds, and retained freed
/// buffers pushed it past its budget.
enum MallocTuning {
  static func apply() {
    _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
    _ = mallopt(M_TRIM_THRESHOLD, 512 << 20)
  }
}
