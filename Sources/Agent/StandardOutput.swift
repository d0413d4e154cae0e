#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Flushes standard output so a supervising process sees lines at once.
func fflushStandardOutput() {
    fflush(nil)
}
