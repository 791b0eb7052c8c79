import CFlashrom
import Foundation
import Testing

/// The C library links and initialises: libflashrom's dummy programmer finds an emulated
/// W25Q128FV. (The Flash module's own session type has its own tests.)
@Suite(.serialized) struct LibflashromLinkTests {
    @Test func dummyProgrammerProbesEmulatedW25Q128FV() throws {
        #expect(flashrom_init(1) == 0)
        defer { flashrom_shutdown() }
        var programmer: OpaquePointer?
        #expect(flashrom_programmer_init(&programmer, "dummy", "emulate=W25Q128FV") == 0)
        defer { flashrom_programmer_shutdown(programmer) }
        var flash: OpaquePointer?
        let rc = flashrom_flash_probe(&flash, programmer, nil)
        #expect(rc == 0)
        #expect(flash != nil)
        if let flash {
            #expect(flashrom_flash_getsize(flash) == 16 << 20)
            flashrom_flash_release(flash)
        }
    }
}
