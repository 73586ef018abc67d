import ArgumentParser

/// The one error path of every command: an error is printed on standard error as
/// `sigtrail: [context: ]error` and the command ends with exit status 1 (an `ExitCode` thrown
/// inside goes through untouched). `cleanup` runs first, for what must not outlive the failure.
func orFail<T>(_ context: String? = nil, cleanup: () -> Void = {}, body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let exit as ExitCode {
    cleanup()
    throw exit
  } catch {
    cleanup()
    Streams.error("sigtrail: \(context.map { "\($0): " } ?? "")\(error)\n")
    throw ExitCode.failure
  }
}
