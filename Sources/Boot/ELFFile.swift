import CElf

/// What an ELF file needs at run time, read through libelf: its interpreter (PT_INTERP), the
/// shared libraries it names (DT_NEEDED), its search paths (DT_RUNPATH / DT_RPATH) and soname.
/// Input is untrusted bytes; libelf checks the structure and failures are `BootError`s.
public struct ELFFile: Sendable, Equatable {
    public var is64Bit: Bool
    public var machine: UInt16
    /// ET_EXEC, ET_DYN, …
    public var type: UInt16
    public var interpreter: String?
    public var needed: [String]
    public var runpath: [String]
    public var rpath: [String]
    public var soname: String?

    public init(parsing bytes: [UInt8]) throws {
        guard bytes.count >= 16, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46 else {
            throw BootError.badMagic(what: "ELF header", offset: 0, found: String(decoding: bytes.prefix(4), as: UTF8.self))
        }
        _ = elf_version(UInt32(EV_CURRENT))
        var copy = bytes
        var result: Result<ELFFile, BootError> = .failure(.malformed(what: "ELF", offset: 0, reason: "not parsed"))
        copy.withUnsafeMutableBytes { raw in
            let ptr = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            guard let elf = elf_memory(ptr, raw.count) else {
                result = .failure(.malformed(what: "ELF", offset: 0, reason: String(cString: elf_errmsg(-1))))
                return
            }
            defer { elf_end(elf) }
            result = Self.read(elf, bytes)
        }
        self = try result.get()
    }

    private init(is64Bit: Bool, machine: UInt16, type: UInt16) {
        self.is64Bit = is64Bit
        self.machine = machine
        self.type = type
        needed = []
        runpath = []
        rpath = []
    }

    private static func read(_ elf: OpaquePointer, _ bytes: [UInt8]) -> Result<ELFFile, BootError> {
        var ehdr = GElf_Ehdr()
        guard elf_kind(elf) == ELF_K_ELF, gelf_getehdr(elf, &ehdr) != nil else {
            return .failure(.malformed(what: "ELF header", offset: 0, reason: String(cString: elf_errmsg(-1))))
        }
        var out = ELFFile(is64Bit: gelf_getclass(elf) == ELFCLASS64, machine: ehdr.e_machine, type: ehdr.e_type)
        let tableEnd = UInt64(ehdr.e_phoff) &+ UInt64(ehdr.e_phnum) &* UInt64(ehdr.e_phentsize)
        guard ehdr.e_phnum == 0 || (UInt64(ehdr.e_phoff) < UInt64(bytes.count) && tableEnd <= UInt64(bytes.count)) else {
            return .failure(.outOfBounds(what: "ELF program header table", offset: Int(clamping: ehdr.e_phoff),
                                         length: Int(ehdr.e_phnum) * Int(ehdr.e_phentsize), limit: bytes.count))
        }
        var count = 0
        guard elf_getphdrnum(elf, &count) == 0 else {
            return .failure(.malformed(what: "ELF program headers", offset: Int(clamping: ehdr.e_phoff), reason: String(cString: elf_errmsg(-1))))
        }
        // Values from the file are UInt64: converted with clamping, never trapping.
        for i in 0..<min(count, Int(Int32.max)) {
            var phdr = GElf_Phdr()
            guard gelf_getphdr(elf, Int32(i), &phdr) != nil else {
                return .failure(.malformed(what: "ELF program header \(i)", offset: Int(clamping: ehdr.e_phoff), reason: String(cString: elf_errmsg(-1))))
            }
            if phdr.p_type == UInt32(PT_INTERP) {
                let start = Int(clamping: phdr.p_offset), size = Int(clamping: phdr.p_filesz)
                guard start >= 0, size >= 0, start <= bytes.count, size <= bytes.count - start else {
                    return .failure(.outOfBounds(what: "PT_INTERP", offset: start, length: size, limit: bytes.count))
                }
                let field = bytes[start..<(start + size)]
                out.interpreter = String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        // The dynamic section, read through its section header so libelf resolves the strings.
        var scn = elf_nextscn(elf, nil)
        while let section = scn {
            var shdr = GElf_Shdr()
            if gelf_getshdr(section, &shdr) != nil, shdr.sh_type == UInt32(SHT_DYNAMIC), let data = elf_getdata(section, nil) {
                let entries = shdr.sh_entsize > 0 ? Int(clamping: shdr.sh_size / shdr.sh_entsize) : 0
                for j in 0..<min(entries, Int(Int32.max)) {
                    var dyn = GElf_Dyn()
                    guard gelf_getdyn(data, Int32(j), &dyn) != nil else { break }
                    let tag = dyn.d_tag
                    if tag == Int64(DT_NULL) { break }
                    guard [Int64(DT_NEEDED), Int64(DT_RUNPATH), Int64(DT_RPATH), Int64(DT_SONAME)].contains(tag) else { continue }
                    guard let s = elf_strptr(elf, Int(shdr.sh_link), Int(clamping: dyn.d_un.d_val)) else {
                        return .failure(.malformed(what: "ELF dynamic string", offset: Int(clamping: shdr.sh_offset), reason: "string offset out of range"))
                    }
                    let value = String(cString: s)
                    switch tag {
                    case Int64(DT_NEEDED): out.needed.append(value)
                    case Int64(DT_RUNPATH): out.runpath += value.split(separator: ":").map(String.init)
                    case Int64(DT_RPATH): out.rpath += value.split(separator: ":").map(String.init)
                    default: out.soname = value
                    }
                }
            }
            scn = elf_nextscn(elf, section)
        }
        return .success(out)
    }
}
