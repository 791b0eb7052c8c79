import Foundation
import Support
import Testing
@testable import Boot

/// ELF reading through libelf and the shared-library closure, against ldd.
@Suite struct ELFTests {
    @Test func closureOfARealExecutableMatchesLdd() throws {
        let exe = "/usr/bin/cpio"
        let closure = try SharedLibraryClosure.compute(executable: exe, lookup: SharedLibraryClosure.fileSystemLookup())
        let ldd = try CorebootTools.runner.checked("ldd", [exe]).stdoutText
        var expected = Set<String>()
        for line in ldd.split(separator: "\n") {
            let parts = line.trimmingCharacters(in: .whitespaces).split(separator: " ")
            if let arrow = parts.firstIndex(of: "=>"), arrow + 1 < parts.count, parts[arrow + 1].hasPrefix("/") {
                expected.insert((String(parts[arrow + 1]) as NSString).lastPathComponent)
            } else if let first = parts.first, first.hasPrefix("/") {
                expected.insert((String(first) as NSString).lastPathComponent)
            }
        }
        #expect(Set(closure.files.map { ($0 as NSString).lastPathComponent }) == expected)
        #expect(closure.missing.isEmpty)
        let elf = try ELFFile(parsing: try CorebootTools.read(URL(fileURLWithPath: exe)))
        #expect(elf.interpreter == "/lib64/ld-linux-x86-64.so.2")
        #expect(elf.needed.contains("libc.so.6"))
        #expect(elf.is64Bit && elf.machine == 62)
    }

    @Test func missingLibrariesAreListedAndStaticFilesNeedNothing() throws {
        let fs = SharedLibraryClosure.fileSystemLookup()
        let withoutLibc: (String) throws -> [UInt8]? = { $0.hasSuffix("libc.so.6") ? nil : try fs($0) }
        let closure = try SharedLibraryClosure.compute(executable: "/usr/bin/cpio", lookup: withoutLibc)
        #expect(closure.missing.contains("libc.so.6"))
        if let tiny = CorebootTools.tinyELF {
            let elf = try ELFFile(parsing: try CorebootTools.read(tiny))
            #expect(elf.interpreter == nil && elf.needed.isEmpty)
        }
        #expect(throws: BootError.self) { try ELFFile(parsing: Array("#!/bin/sh\n".utf8)) }
        var truncated = try CorebootTools.read(URL(fileURLWithPath: "/usr/bin/cpio"))
        truncated = Array(truncated.prefix(100))
        #expect(throws: BootError.self) { try ELFFile(parsing: truncated) }
    }
}
