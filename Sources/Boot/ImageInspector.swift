import Dispatch
import Support

/// Builds an `ImageReport` from the bytes of a ROM or chip dump. Pure: bytes in, value out.
/// Damage in one part (a broken CBFS, an unreadable payload) becomes a line in `problems`
/// instead of failing the whole report; only a file without FMAP or CBFS throws.
///
/// Every input answers in bounded time and memory: the flash map is located in one pass over
/// its candidates, CBFS regions never overlap (each byte is walked once), a file's hash is
/// computed once, and everything the payload needs decompressed shares one
/// `decompressionBudget`.
public enum ImageInspector {
    public static let payloadName = "fallback/payload"

    /// What one inspection may decompress in total (payload segments; the manifest has its own
    /// 1 MiB cap). A Linux payload's protected-mode kernel is a few MiB to a few tens of MiB.
    public static let decompressionBudget = 64 << 20

    /// `hashing: false` leaves `sha256` empty, for a caller that hashes the bytes itself
    /// (`ownerboot inspect` hashes a mapping of the file while it is still reading it).
    /// `predictingPCRs`: hash every file coreboot would measure (the payload is most of the
    /// image) to predict the TPM PCRs per boot path; `inspect` asks only when it prints JSON.
    public static func inspect(_ image: [UInt8], hashing: Bool = true, predictingPCRs: Bool = true) throws -> ImageReport {
        // The whole-image SHA-256 is the longest single piece of work (about 10 ms for 16 MiB,
        // more than the parsing); it runs on another core while the image is parsed.
        let hash = hashing ? Hashing(image) : nil
        defer { _ = hash?.result() }  // a thrown error leaves no work running behind it
        var report = ImageReport(size: image.count, sha256: "", areas: [], regions: [], problems: [])
        let located = FMAP.locate(in: image)
        if let (offset, map) = located {
            report.fmapOffset = offset
            report.fmapName = map.name
            report.fmapBase = map.base
            for (area, isParent) in zip(map.areas, map.parentFlags) {
                let start = Int(area.offset)
                let readOnly = isParent || (start < image.count && image[start...].starts(with: FMAP.signature))
                var qualifiers: [String] = []
                if readOnly { qualifiers.append("read-only") } else if CBFS.hasFileMagic(image, at: start) { qualifiers.append("CBFS") } else if area.flags.contains(.preserve) { qualifiers.append("preserve") }
                report.areas.append(.init(name: area.name, offset: start, size: Int(area.size), flags: area.flags.names, qualifiers: qualifiers))
                if UInt64(area.offset) + UInt64(area.size) > UInt64(image.count) {
                    report.problems.append("FMAP area \(area.name) (offset 0x\(String(area.offset, radix: 16)), size 0x\(String(area.size, radix: 16))) runs past the end of the image (0x\(String(image.count, radix: 16)))")
                }
            }
        }
        do { report.descriptor = try IntelFlashDescriptor.find(in: image) } catch {
            report.problems.append("Intel flash descriptor: \(error)")
        }
        let scan = CBFS.scanRegions(in: image, fmap: located?.map)
        if located == nil && scan.regions.isEmpty && report.descriptor == nil {
            throw BootError.notFound(what: "FMAP, CBFS or Intel flash descriptor")
        }
        report.problems += scan.skipped
        // Each region is walked once; the payload and the manifest are read from these walks.
        var walks: [OwnerbootManifest.Walk] = []
        var budget = DecompressionBudget(total: decompressionBudget)
        for info in scan.regions {
            do {
                let cbfs = try CBFS(image: image, range: info.range, firstFileOffset: info.firstFileOffset, alignment: info.alignment)
                let files: [CBFSFile]
                do { files = try cbfs.files() } catch {
                    walks.append(.init(cbfs: cbfs, files: .failure(error), region: info.name))
                    throw error
                }
                walks.append(.init(cbfs: cbfs, files: .success(files), region: info.name))
                report.regions.append(.init(name: info.name, offset: info.offset, size: info.size, legacy: info.legacy, files: files))
                for f in files where f.hash?.valid == false {
                    report.problems.append("CBFS file \(f.name) in \(info.name) does not match its \(f.hash!.algorithmName) hash")
                }
                if report.payload == nil, let payload = files.first(where: { $0.name == payloadName && $0.type == .payload }) {
                    do {
                        report.payload = try payloadReport(cbfs: cbfs, file: payload, region: info.name, budget: &budget)
                    } catch {
                        report.problems.append("\(payloadName) in \(info.name): \(error)")
                    }
                }
            } catch {
                report.problems.append("CBFS region \(info.name): \(error)")
            }
        }
        do {
            report.manifest = try OwnerbootManifest.read(from: walks)
            if walks.contains(where: { $0.region == OwnerbootManifest.normalRegion }) {
                report.fallbackManifest = try OwnerbootManifest.read(from: walks.filter { $0.region != OwnerbootManifest.normalRegion })
            }
        } catch {
            report.problems.append("manifest: \(error)")
        }
        for path in predictingPCRs ? PCRPrediction.bootPaths(in: image) : [] {
            do { report.pcrs = (report.pcrs ?? []) + [try PCRPrediction.predict(image: image, path: path)] } catch {
                report.problems.append("PCR prediction (boot path \(path.name)): \(error)")
            }
        }
        report.sha256 = hash?.result() ?? ""
        return report
    }

    /// SHA-256 of an image, computed on a global queue from the moment it is created.
    final class Hashing: @unchecked Sendable {
        private var digest = ""
        private let group = DispatchGroup()

        init(_ image: [UInt8]) {
            DispatchQueue.global(qos: .userInitiated).async(group: group) { self.digest = SHA256Digest.hex(image) }
        }

        /// Waits for the digest (the group's wait orders the write before this read).
        func result() -> String {
            group.wait()
            return digest
        }
    }

    /// SELF segments plus, for a Linux payload, the boot protocol (from the boot-params copy
    /// cbfstool stores as the first DATA segment) and the kernel release string. The payload
    /// is read in place; a DATA segment is decoded only as far as a setup header reaches, a
    /// CODE segment only when the release string is still missing; all within `budget`.
    static func payloadReport(cbfs: CBFS, file: CBFSFile, region: String, budget: inout DecompressionBudget) throws -> ImageReport.Payload {
        let start = cbfs.range.lowerBound + file.dataOffset
        let window = start..<(start + file.dataSize)
        let reader = ByteReader(cbfs.image, window: window)
        let payload = try SELFPayload(image: cbfs.image, range: window)
        var out = ImageReport.Payload(region: region, file: file.name, segments: payload.segments, entry: payload.entry)
        for segment in payload.segments where segment.type == .data || segment.type == .params {
            let head = try budget.spend("SELF segment", offset: start + segment.offset) { limit in
                try SELFPayload.data(of: segment, in: reader, limit: limit, prefix: BzImageHeader.headerReach)
            }
            if let header = try? BzImageHeader(parsing: head) {
                out.bootProtocol = header.protocolString
                out.kernelVersion = header.kernelVersion
                break
            }
        }
        // cbfstool's bzImage loader puts the boot parameters at 0x90000 and drops the real-mode
        // setup code (where kernel_version points), so the release string is searched for.
        let linux = out.bootProtocol != nil || payload.segments.contains { $0.type == .data && $0.loadAddress == 0x90000 }
        if out.kernelVersion == nil, linux {
            for segment in payload.segments where segment.type == .code {
                let code = try budget.spend("SELF segment", offset: start + segment.offset) { limit in
                    try SELFPayload.data(of: segment, in: reader, limit: limit, prefix: nil)
                }
                if let v = BzImageHeader.findVersionString(in: code) {
                    out.kernelVersion = v
                    break
                }
            }
        }
        return out
    }
}
