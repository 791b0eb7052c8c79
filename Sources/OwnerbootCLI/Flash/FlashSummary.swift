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
        if let layout = record.descriptor {
            let components = layout.descriptor.componentSizes.map(ByteSize.format).joined(separator: " + ")
            lines.append("layout    Intel flash descriptor on the chip (components \(components))\(layout.descriptorReplaced ? "; REPLACED by the image's" : "")")
            for region in layout.regions {
                let role: String
                if region.written {
                    let blocks = plan.writes.reduce(0) { $0 + max(0, min($1.range.end, region.range.end) - max($1.range.start, region.range.start)) } / plan.eraseBlockSize
                    role = blocks > 0 ? "write: \(blocks) erase blocks" : "written region, no change"
                } else {
                    role = "keep (owner's) sha256 \(region.chipSHA256.prefix(16))…"
                }
                lines.append("  \(region.name.padding(toLength: 5, withPad: " ", startingAt: 0)) \(region.range)  \(region.title): \(role)")
            }
        }
        switch record.outcome {
        case .planned:
            let blocks = plan.chipSize / plan.eraseBlockSize
            if plan.contentsKnown {
                lines.append("plan      \(plan.decision.rawValue): \(plan.changedBlockCount) of \(blocks) erase blocks differ (\(plan.bytesChanged ?? 0) bytes), \(plan.blocksToWrite) to write (\(ByteSize.format(plan.bytesToWrite)))")
            } else {
                lines.append("plan      \(plan.decision.rawValue): up to \(plan.changedBlockCount) of \(blocks) erase blocks, \(plan.blocksToWrite) writable (chip not read; add --read-chip for an exact plan)")
            }
            for region in plan.regions where record.descriptor == nil {
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
        if record.outcome == .planned, !plan.writes.isEmpty {
            let shown = plan.writes.prefix(6).map(\.range.description).joined(separator: ", ")
            lines.append("blocks    \(shown)\(plan.writes.count > 6 ? ", … (\(plan.writes.count) runs)" : "")")
        }
        for warning in record.warnings { lines.append("warning   \(warning)") }
        return lines.joined(separator: "\n")
    }
}
