import ArgumentParser
import Flash

/// `ownerboot programmers`: the USB flash programmers attached, with the string to use.
struct ProgrammersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "programmers", abstract: "List attached USB flash programmers (FTDI, CH341A).")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        let found = Programmers.attached()
        if json { return try JSONOutput.print(found) }
        if found.isEmpty {
            print("no USB flash programmer found (known: \(KnownProgrammer.all.map { "\($0.model) \(Programmers.usbID($0.vendorID, $0.productID))" }.joined(separator: ", ")))")
            return
        }
        for p in found {
            print("\(p.model)\t\(p.usbID)\tbus \(p.bus) addr \(p.address)\tserial \(p.serial ?? "-")\t--programmer \(p.programmer)")
        }
    }
}
