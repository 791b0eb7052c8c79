import Boot
import Foundation
import Support

/// Identifies dumps against the store's generations.
public struct FleetIdentifier: Sendable {
    public var store: Store

    public init(store: Store) {
        self.store = store
    }

    public func identify(dumpAt url: URL) throws -> Identification {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw IdentifyError.unreadable(path: url.path)
        }
        return try identify(Array(data))
    }

    public func identify(_ dump: [UInt8]) throws -> Identification {
        let hash = SHA256Digest.hex(dump)
        func unknown(_ reason: String) -> Identification {
            Identification(state: .unknown, dumpHash: hash, differingRegions: [], differingFiles: [], reason: reason)
        }
        if dump.count < 64 << 10 || dump.count & (dump.count - 1) != 0 {
            return unknown("\(dump.count) bytes is not a whole flash chip (truncated?)")
        }
        let manifest: OwnerbootManifest?
        do { manifest = try OwnerbootManifest.read(fromImage: dump) } catch {
            return unknown("its CBFS or manifest is damaged: \(error)")
        }
        guard let manifest else {
            return unknown(FMAP.locate(in: dump) == nil ? "no FMAP or CBFS: not a coreboot image" : "a coreboot image without an ownerboot manifest")
        }
        var result = Identification(state: .unknown, dumpHash: hash, board: manifest.board, generation: manifest.generation, setHash: manifest.setHash, differingRegions: [], differingFiles: [])
        if let halves = try? OwnerbootManifest.readHalves(fromImage: dump), halves.normal != nil {
            result.fallbackGeneration = halves.fallback?.generation
        }
        guard let generation = try store.generations(board: manifest.board).first(where: { $0.setHash == manifest.setHash }),
              let romHash = generation.components[BuildPlan.romComponent] else {
            result.reason = "its manifest names \(manifest.board) generation \(manifest.generation), which this store never built"
            return result
        }
        let romURL = store.path(hash: romHash, name: BuildPlan.romComponent).appendingPathComponent("\(manifest.board).rom")
        guard let built = FileManager.default.contents(atPath: romURL.path).map(Array.init) else {
            result.reason = "the ROM of generation \(generation.number) is no longer in the store"
            return result
        }
        result.generation = generation.number
        if built.count == dump.count && built == dump {
            result.state = .matching
            return result
        }
        result.state = .modified
        if built.count != dump.count {
            result.differingRegions = ["size: dump \(dump.count) bytes, built \(built.count)"]
            return result
        }
        if let map = FMAP.locate(in: built)?.map {
            result.differingRegions = map.areas.filter { area in
                // range(inImageOf:) sums in Int: offset + size of a UInt32 pair may pass 4 GiB.
                guard let range = try? area.range(inImageOf: dump.count) else { return false }
                return !built[range].elementsEqual(dump[range])
            }.map(\.name)
        }
        result.differingFiles = Self.differingFiles(built, dump)
        return result
    }

    /// CBFS files (of the default region) whose stored bytes differ between two images.
    static func differingFiles(_ a: [UInt8], _ b: [UInt8]) -> [String] {
        func contents(_ image: [UInt8]) -> [String: ArraySlice<UInt8>] {
            guard let cbfs = try? CBFS.open(image), let files = try? cbfs.files() else { return [:] }
            var result: [String: ArraySlice<UInt8>] = [:]
            for file in files where file.name != "" { result[file.name] = cbfs.storedData(of: file) }
            return result
        }
        let left = contents(a), right = contents(b)
        return Set(left.keys).union(right.keys).filter { left[$0] != right[$0] }.sorted()
    }
}
