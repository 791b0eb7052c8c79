import Support

/// Builds an `ImageReport` from the bytes of a ROM or chip dump. Pure: bytes in, value out.
/// Damage in one part (a broken CBFS, an unreadable payload) becomes a line in `problems`
/// instead of failing the whole report; only a file without FMAP or CBFS throws.
public enum ImageInspector {
    public static let payloadName = "fallback/payload"

    public static func inspect(_ image: [UInt8]) throws -> ImageReport {
        var report = ImageReport(size: image.count, sha256: SHA256Digest.hex(image), areas: [], regions: [], problems: [])
        let located = FMAP.locate(in: image)
        if let (offset, map) = located {
            report.fmapOffset = offset
            report.fmapName = map.name
            report.fmapBase = map.base
            for area in map.areas {
                let start = Int(area.offset)
                let readOnly = map.hasChildren(area) || (start < image.count && image[start...].starts(with: FMAP.signature))
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
        let regions = CBFS.regions(in: image, fmap: located?.map)
        if located == nil && regions.isEmpty && report.descriptor == nil {
            throw BootError.notFound(what: "FMAP, CBFS or Intel flash descriptor")
        }
        for info in regions {
            do {
                let cbfs = try CBFS(image: image, range: info.range, firstFileOffset: info.firstFileOffset, alignment: info.alignment)
                let files = try cbfs.files()
                report.regions.append(.init(name: info.name, offset: info.offset, size: info.size, legacy: info.legacy, files: files))
                for f in files where f.hash?.valid == false {
                    report.problems.append("CBFS file \(f.name) in \(info.name) does not match its \(f.hash!.algorithmName) hash")
                }
                if report.payload == nil, let payload = files.first(where: { $0.name == payloadName && $0.type == .payload }) {
                    do {
                        report.payload = try payloadReport(cbfs: cbfs, file: payload, region: info.name)
                    } catch {
                        report.problems.append("\(payloadName) in \(info.name): \(error)")
                    }
                }
            } catch {
                report.problems.append("CBFS region \(info.name): \(error)")
            }
        }
        do {
            report.manifest = try OwnerbootManifest.read(fromImage: image)
        } catch {
            report.problems.append("manifest: \(error)")
        }
        return report
    }

    /// SELF segments plus, for a Linux payload, the boot protocol (from the boot-params copy
    /// cbfstool stores as the first DATA segment) and the kernel release string.
    static func payloadReport(cbfs: CBFS, file: CBFSFile, region: String) throws -> ImageReport.Payload {
        let bytes = Array(cbfs.storedData(of: file))
        let payload = try SELFPayload(parsing: bytes, base: cbfs.range.lowerBound + file.dataOffset)
        var out = ImageReport.Payload(region: region, file: file.name, segments: payload.segments, entry: payload.entry)
        for segment in payload.segments where segment.type == .data || segment.type == .params {
            let data = try payload.data(of: segment, in: bytes)
            if let header = try? BzImageHeader(parsing: data) {
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
                if let v = BzImageHeader.findVersionString(in: try payload.data(of: segment, in: bytes)) {
                    out.kernelVersion = v
                    break
                }
            }
        }
        return out
    }
}
