@testable import Orchestrator
import Testing
@testable import OwnerbootCLI

/// `fleet list`'s text, byte for byte.
struct FleetTableTests {
    @Test func oneTabSeparatedLinePerDevice() {
        let statuses = [
            FleetStatus(device: "laptop", board: "x230", generationOnChip: nil, latestGeneration: 12, lastFlashed: nil, state: .neverFlashed),
            FleetStatus(device: "router", board: "qemu-x86", generationOnChip: 3, latestGeneration: 120, lastFlashed: "2025-11-29T10:01:01Z", state: .outdated, fallbackGenerationOnChip: 2),
            FleetStatus(device: "old", board: "hp-abm", generationOnChip: 0, latestGeneration: nil, lastFlashed: "2025-11-29T10:01:01Z", state: .unknownFirmware),
        ]
        #expect(FleetTable.text(statuses) == """
            DEVICE\tBOARD\tON CHIP\tFALLBACK\tLATEST\tSTATUS
            laptop\tx230\t-\t-\t12\tnever flashed
            router\tqemu-x86\t3\t2\t120\toutdated
            old\thp-abm\t0\t-\t-\tunknown firmware

            """)
        #expect(FleetTable.text([]) == "DEVICE\tBOARD\tON CHIP\tFALLBACK\tLATEST\tSTATUS\n")
    }
}
