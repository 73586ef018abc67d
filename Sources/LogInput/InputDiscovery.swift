import LogBytes

#if canImport(Glibc)
  import Glibc
#endif

/// Finds the input files under the paths given on the command line.
///
/// Directories are walked recursively in sorted order, so runs are reproducible; hidden entries
/// (names starting with `.`) are skipped, as Athena and Hive do; symbolic links are followed,
/// but a directory already visited (a link loop) is reported once and not entered again.
public enum InputDiscovery {
  public static func discover(_ paths: [String]) -> (files: [InputFile], problems: [InputProblem]) {
    var files: [InputFile] = []
    var problems: [InputProblem] = []
    var visited = Set<DirectoryID>()
    for path in paths {
      visit(path, files: &files, problems: &problems, visited: &visited, explicit: true)
    }
    // A file given twice, or reached twice (a link, an overlapping PATH), is read once: the
    // first path it was found at is its name.
    var seen: [DirectoryID: String] = [:]
    var unique: [InputFile] = []
    for file in files {
      if let first = seen[file.id] {
        problems.append(InputProblem(path: file.path, reason: "same file as \(first); indexed once", skipped: true))
      } else {
        seen[file.id] = file.path
        unique.append(file)
      }
    }
    return (unique, problems)
  }

  /// A file's or directory's identity on its device.
  public struct DirectoryID: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64
  }

  static func visit(
    _ path: String, files: inout [InputFile], problems: inout [InputProblem],
    visited: inout Set<DirectoryID>, explicit: Bool
  ) {
    var st = stat()
    guard PathText.statFile(path, &st) == 0 else {
      problems.append(InputProblem(path: path, reason: "cannot stat: \(errnoDescription())"))
      return
    }
    switch st.st_mode & S_IFMT {
    case S_IFREG:
      var file = InputFile(
        path: path, size: Int64(st.st_size),
        modifiedNanos: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
      file.id = DirectoryID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
      files.append(file)
    case S_IFDIR:
      let id = DirectoryID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
      guard visited.insert(id).inserted else {
        problems.append(InputProblem(path: path, reason: "directory already visited (symbolic link loop?); skipped"))
        return
      }
      guard let dir = PathText.fileSystemBytes(path).withUnsafeBufferPointer({ opendir($0.baseAddress!) }) else {
        problems.append(InputProblem(path: path, reason: "cannot open directory: \(errnoDescription())"))
        return
      }
      var names: [String] = []
      while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
          PathText.text(UnsafeRawBufferPointer(rebasing: raw[0..<(raw.firstIndex(of: 0) ?? raw.count)]))
        }
        if name.hasPrefix(".") { continue }
        names.append(name)
      }
      closedir(dir)
      let base = path.hasSuffix("/") ? path : path + "/"
      for name in names.sorted() {
        visit(base + name, files: &files, problems: &problems, visited: &visited, explicit: false)
      }
    default:
      if explicit {
        problems.append(InputProblem(path: path, reason: "not a regular file or directory; skipped"))
      }
    }
  }
}
