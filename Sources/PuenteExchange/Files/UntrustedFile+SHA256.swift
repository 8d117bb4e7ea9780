import PuenteFormats
import PuenteSecurity

extension UntrustedFile {
    /// The SHA-256 (hex) of the file, read through its descriptor up to its size: the bytes
    /// hashed are those parsed.
    func sha256() throws -> String {
        var hasher = SHA256()
        try forEachPiece { hasher.update($0.bindMemory(to: UInt8.self)) }
        return hasher.finalize().hexString
    }
}
