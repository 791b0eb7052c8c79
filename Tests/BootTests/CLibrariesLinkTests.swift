import CElf
import CLZ4
import CLZMA
import CZlib
import CZstd
import Testing

/// The compression and ELF libraries Boot builds on link and answer.
@Suite struct CLibrariesLinkTests {
    @Test func libelfInitialises() {
        #expect(elf_version(UInt32(EV_CURRENT)) != UInt32(EV_NONE))
    }

    @Test func compressionLibrariesReportVersions() {
        #expect(lzma_version_number() >= 50_000_000)
        #expect(LZ4_versionNumber() >= 10_900)
        #expect(ZSTD_versionNumber() >= 10_000)
        #expect(String(cString: zlibVersion()).hasPrefix("1."))
    }
}
