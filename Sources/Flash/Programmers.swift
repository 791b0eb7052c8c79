import CUSB
import Foundation

/// A USB flash programmer ownerboot recognises by vendor/product ID, and the flashrom
/// programmer string that drives it.
public struct KnownProgrammer: Sendable, Codable, Hashable {
    public var vendorID: UInt16
    public var productID: UInt16
    public var model: String
    /// flashrom programmer name and base parameters, e.g. `ft2232_spi:type=2232H`.
    public var programmer: String

    /// FTDI MPSSE chips (ft2232_spi) and the WCH CH341A (ch341a_spi).
    public static let all: [KnownProgrammer] = [
        KnownProgrammer(vendorID: 0x0403, productID: 0x6010, model: "FTDI FT2232H", programmer: "ft2232_spi:type=2232H"),
        KnownProgrammer(vendorID: 0x0403, productID: 0x6011, model: "FTDI FT4232H", programmer: "ft2232_spi:type=4232H"),
        KnownProgrammer(vendorID: 0x0403, productID: 0x6014, model: "FTDI FT232H", programmer: "ft2232_spi:type=232H"),
        KnownProgrammer(vendorID: 0x1a86, productID: 0x5512, model: "WCH CH341A", programmer: "ch341a_spi"),
    ]

    public static func lookup(vendorID: UInt16, productID: UInt16) -> KnownProgrammer? {
        all.first { $0.vendorID == vendorID && $0.productID == productID }
    }

    /// The string to pass as `--programmer` for one attached unit: FTDI parts take the
    /// serial number so the right one is used when several are plugged in; the CH341A
    /// driver in flashrom 1.3 has no serial selection.
    public func programmerString(serial: String?) -> String {
        guard let serial, !serial.isEmpty, programmer.hasPrefix("ft2232_spi") else { return programmer }
        return "\(programmer),serial=\(serial)"
    }
}

/// One programmer found on the USB bus.
public struct AttachedProgrammer: Sendable, Codable, Hashable {
    public var model: String
    /// `0403:6010`.
    public var usbID: String
    public var bus: Int
    public var address: Int
    /// nil when the device could not be opened (permissions) or has none.
    public var serial: String?
    public var programmer: String
}

/// Lists attached USB flash programmers through libusb.
public enum Programmers {
    /// The recognised programmers on the USB bus. A machine without USB access (no
    /// /dev/bus/usb, as in containers) has none: that is an empty list, not an error.
    public static func attached() -> [AttachedProgrammer] {
        var context: OpaquePointer?
        guard libusb_init(&context) == 0 else { return [] }
        defer { libusb_exit(context) }
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(context, &list)
        guard count > 0, let list else { return [] }
        defer { libusb_free_device_list(list, 1) }
        var found: [AttachedProgrammer] = []
        for index in 0..<Int(count) {
            guard let device = list[index] else { continue }
            var descriptor = libusb_device_descriptor()
            guard libusb_get_device_descriptor(device, &descriptor) == 0,
                  let known = KnownProgrammer.lookup(vendorID: descriptor.idVendor, productID: descriptor.idProduct)
            else { continue }
            let serial = readSerial(device, index: descriptor.iSerialNumber)
            found.append(AttachedProgrammer(
                model: known.model, usbID: usbID(known.vendorID, known.productID),
                bus: Int(libusb_get_bus_number(device)), address: Int(libusb_get_device_address(device)),
                serial: serial, programmer: known.programmerString(serial: serial)))
        }
        return found
    }

    public static func usbID(_ vendor: UInt16, _ product: UInt16) -> String {
        func hex4(_ v: UInt16) -> String { let s = String(v, radix: 16); return String(repeating: "0", count: 4 - s.count) + s }
        return "\(hex4(vendor)):\(hex4(product))"
    }

    private static func readSerial(_ device: OpaquePointer, index: UInt8) -> String? {
        guard index != 0 else { return nil }
        var handle: OpaquePointer?
        guard libusb_open(device, &handle) == 0, let handle else { return nil }
        defer { libusb_close(handle) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = libusb_get_string_descriptor_ascii(handle, index, &buffer, Int32(buffer.count))
        guard length > 0 else { return nil }
        return String(decoding: buffer[..<Int(length)], as: UTF8.self)
    }
}
