import Flash
import Foundation
import Support

/// The human summary of a flash record or plan.
enum FlashSummary {
    static func text(_ record: FlashRecord) -> String {
        let plan = record.plan
        var lines: [String] = []
        lines.append("chip      \(record.chip.vendor) \(record.chip.name) (\(ByteSize.format(record.chip.sizeBytes))) via \(record.programmer)")
        lines.append("image     \(record.imagePath)  sha256 \(record.imageHash)")
        lines.append("protect   \(plan.protection.isProtecting ? "\(plan.protection.range) \(plan.protection.modeDescription)" : "none")")
        switch record.outcome {
        case .planned:
            let blocks = plan.chipSize / plan.eraseBlockSize
            if plan.contentsKnown {
                lines.append("plan      \(plan.decision.rawValue): \(plan.changedBlockCount) of \(blocks) erase blocks differ (\(plan.bytesChanged ?? 0) bytes), \(plan.blocksToWrite) to write (\(ByteSize.format(plan.bytesToWrite)))")
            } else {
                lines.append("plan      \(plan.decision.rawValue): up to \(plan.changedBlockCount) of \(blocks) erase blocks, \(plan.blocksToWrite) writable (chip not read; add --read-chip for an exact plan)")
            }
            for region in plan.regions {
                let changed = region.changed.map { $0 ? "changed" : "same" } ?? "?"
                lines.append("  region  \(region.name) \(region.range) \(changed)\(region.isProtected ? " protected" : "")\(region.written ? " → write" : "")")
            }
            if plan.decision == .refuseUnlessProtectedRangeUnchanged {
                lines.append("note      the protected range \(plan.protection.range) will be refused if the image changes it: \(plan.protection.howToUnprotect)")
            }
        default:
            lines.append("result    \(record.outcome.rawValue): \(record.blocksWritten) erase blocks written (\(ByteSize.format(record.bytesWritten))), \(record.bytesChanged ?? 0) bytes changed")
            if !record.regionsSkipped.isEmpty { lines.append("skipped   \(record.regionsSkipped.joined(separator: ", ")) (write-protected; left as on the chip)") }
            lines.append("readback  sha256 \(record.readbackHash ?? "-")\(record.readbackHash == record.expectedHash ? " ✓ matches" : " ✗ expected \(record.expectedHash)")")
            if let backup = record.backupPath { lines.append("backup    \(backup)") }
            if let after = record.writeProtectAfter, record.writeProtectConfirmed != nil {
                lines.append("wp after  \(after) \(record.writeProtectConfirmed == true ? "✓ confirmed" : "✗ NOT as the policy asks")")
            }
            lines.append(String(format: "time      %.2f s", record.durations["total"] ?? 0))
        }
        for warning in record.warnings { lines.append("warning   \(warning)") }
        return lines.joined(separator: "\n")
    }
}
