@testable import Flash
import Testing

struct ProgrammersTests {
    @Test func knownIDsMapToFlashromProgrammers() {
        #expect(KnownProgrammer.lookup(vendorID: 0x0403, productID: 0x6010)?.programmer == "ft2232_spi:type=2232H")
        #expect(KnownProgrammer.lookup(vendorID: 0x0403, productID: 0x6011)?.programmer == "ft2232_spi:type=4232H")
        #expect(KnownProgrammer.lookup(vendorID: 0x0403, productID: 0x6014)?.programmer == "ft2232_spi:type=232H")
        #expect(KnownProgrammer.lookup(vendorID: 0x1a86, productID: 0x5512)?.programmer == "ch341a_spi")
        #expect(KnownProgrammer.lookup(vendorID: 0x0403, productID: 0x6001) == nil)
    }

    @Test func serialSelectsTheFTDIUnit() {
        let ft = KnownProgrammer.lookup(vendorID: 0x0403, productID: 0x6010)!
        #expect(ft.programmerString(serial: "FT4XYZ") == "ft2232_spi:type=2232H,serial=FT4XYZ")
        #expect(ft.programmerString(serial: nil) == "ft2232_spi:type=2232H")
        let ch = KnownProgrammer.lookup(vendorID: 0x1a86, productID: 0x5512)!
        #expect(ch.programmerString(serial: "123") == "ch341a_spi")
        // Every mapped string parses as a supported programmer.
        for known in KnownProgrammer.all { #expect((try? ProgrammerString(parsing: known.programmer)) != nil) }
    }

    @Test func usbIDsArePrintedAsLsusbDoes() {
        #expect(Programmers.usbID(0x1a86, 0x5512) == "1a86:5512")
        #expect(Programmers.usbID(0x0403, 0x6010) == "0403:6010")
    }

    /// Listing works without devices or USB access (here: none attached) and only ever
    /// reports recognised programmers with a usable programmer string.
    @Test func listingReportsOnlyKnownProgrammers() {
        for attached in Programmers.attached() {
            #expect(KnownProgrammer.all.contains { $0.model == attached.model })
            #expect((try? ProgrammerString(parsing: attached.programmer)) != nil)
        }
    }
}
