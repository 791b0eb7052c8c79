import CFlashrom

/// libflashrom's `flashrom_wp_result`, named.
public enum WriteProtectResult: String, Sendable, Codable, Equatable {
    case ok, chipUnsupported = "chip unsupported", other = "error", readFailed = "read failed"
    case writeFailed = "write failed", verifyFailed = "verify failed (the chip kept its old configuration: is WP# asserted?)"
    case rangeUnsupported = "range not supported by the chip", modeUnsupported = "mode not supported by the chip"
    case rangeListUnavailable = "range list unavailable"

    init(_ result: flashrom_wp_result) {
        switch result {
        case FLASHROM_WP_OK: self = .ok
        case FLASHROM_WP_ERR_CHIP_UNSUPPORTED: self = .chipUnsupported
        case FLASHROM_WP_ERR_READ_FAILED: self = .readFailed
        case FLASHROM_WP_ERR_WRITE_FAILED: self = .writeFailed
        case FLASHROM_WP_ERR_VERIFY_FAILED: self = .verifyFailed
        case FLASHROM_WP_ERR_RANGE_UNSUPPORTED: self = .rangeUnsupported
        case FLASHROM_WP_ERR_MODE_UNSUPPORTED: self = .modeUnsupported
        case FLASHROM_WP_ERR_RANGE_LIST_UNAVAILABLE: self = .rangeListUnavailable
        default: self = .other
        }
    }
}
