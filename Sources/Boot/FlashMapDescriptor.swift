import Support

/// coreboot's `.fmd` flash-map descriptor: the text form boards describe their layout in.
///
/// ```
/// FLASH@0xff000000 16M {
///     SI_ALL@0 0x200000 { SI_DESC@0 4K  SI_ME }
///     RW_MRC_CACHE(PRESERVE) 64K
///     FMAP 0x800
///     COREBOOT(CBFS)
/// }
/// ```
/// Parsing resolves omitted offsets and sizes the way `fmaptool` does (a region follows its
/// previous sibling; one without a size fills up to the next sibling or its parent's end) and
/// flattens the tree in pre-order into an `FMAP` whose bytes equal `fmaptool`'s output.
/// Errors carry the line number.
public struct FlashMapDescriptor: Sendable, Equatable {
    /// One region of the tree, with offsets relative to its parent.
    public struct Region: Sendable, Equatable {
        public var name: String
        public var annotations: [String]
        public var offset: Int?
        public var size: Int?
        public var children: [Region]
        public var line: Int
    }

    /// The root (the flash chip); its `offset` is the base address.
    public var root: Region

    /// Parses `.fmd` text; resolves every offset and size.
    public init(parsing text: String) throws {
        var parser = FMDParser(text: text)
        var root = try parser.parseRoot()
        guard let size = root.size else { throw FMDError.syntax(line: root.line, reason: "the root region \(root.name) needs a size") }
        try Self.resolve(&root.children, parentSize: size, parentName: root.name)
        self.root = root
    }

    /// The flat area list (pre-order, the root left out) with absolute offsets, as fmaptool emits it.
    public func fmap() throws -> FMAP {
        // Checked first: every region `init(parsing:)` resolved lies inside the root.
        guard let size = root.size, size >= 0, size <= Int(UInt32.max) else {
            throw FMDError.syntax(line: root.line, reason: "the flash size does not fit in 32 bits")
        }
        var areas: [FMAPArea] = []
        func walk(_ regions: [Region], parentOffset: Int) {
            for r in regions {
                let absolute = parentOffset &+ (r.offset ?? 0)
                var flags: FMAPFlags = []
                if r.annotations.contains("PRESERVE") { flags.insert(.preserve) }
                areas.append(FMAPArea(name: r.name, offset: UInt32(truncatingIfNeeded: absolute), size: UInt32(truncatingIfNeeded: r.size ?? 0), flags: flags))
                walk(r.children, parentOffset: absolute)
            }
        }
        walk(root.children, parentOffset: 0)
        guard areas.count <= Int(UInt16.max) else {
            throw FMDError.syntax(line: root.line, reason: "\(areas.count) regions; an FMAP holds at most \(UInt16.max)")
        }
        guard let base = UInt64(exactly: root.offset ?? 0) else {
            throw FMDError.syntax(line: root.line, reason: "the flash base address is negative")
        }
        return FMAP(base: base, size: UInt32(size), name: root.name, areas: areas)
    }

    /// Names of the regions annotated `(CBFS)`, COREBOOT first (fmaptool's order).
    public var cbfsRegionNames: [String] {
        var names: [String] = []
        func walk(_ regions: [Region]) {
            for r in regions {
                if r.annotations.contains("CBFS") { names.append(r.name) }
                walk(r.children)
            }
        }
        walk(root.children)
        if let i = names.firstIndex(of: "COREBOOT") { names.insert(names.remove(at: i), at: 0) }
        return names
    }

    /// Fills in omitted offsets and sizes of siblings, then checks they fit without overlap.
    /// Values come from the text, so every sum is checked (an overflow is an overlap error), and
    /// each round sweeps forwards then backwards: a chain of regions placed from the end
    /// resolves in one round, not one round per region.
    static func resolve(_ children: inout [Region], parentSize: Int, parentName: String) throws {
        func sum(_ a: Int, _ b: Int) -> Int? { let (r, o) = a.addingReportingOverflow(b); return o ? nil : r }
        func difference(_ a: Int, _ b: Int) -> Int? { let (r, o) = a.subtractingReportingOverflow(b); return o ? nil : r }
        func fill(_ i: Int) -> Bool {
            var changed = false
            let end: Int? = i == children.count - 1 ? parentSize : children[i + 1].offset
            if children[i].offset == nil {
                if i == 0 {
                    children[i].offset = 0; changed = true
                } else if let po = children[i - 1].offset, let ps = children[i - 1].size, let o = sum(po, ps) {
                    children[i].offset = o; changed = true
                } else if let s = children[i].size, let end, let o = difference(end, s) {
                    children[i].offset = o; changed = true
                }
            }
            if children[i].size == nil, let o = children[i].offset, let end, let s = difference(end, o) {
                children[i].size = s; changed = true
            }
            return changed
        }
        var changed = true
        while changed {
            changed = false
            for i in children.indices where fill(i) { changed = true }
            for i in children.indices.reversed() where fill(i) { changed = true }
        }
        var previousEnd = 0
        for i in children.indices {
            guard let o = children[i].offset, let s = children[i].size else {
                throw FMDError.unresolved(line: children[i].line, region: children[i].name)
            }
            guard o >= previousEnd, s >= 0, let end = sum(o, s), end <= parentSize else {
                throw FMDError.overlap(line: children[i].line, region: children[i].name, parent: parentName)
            }
            previousEnd = end
            try resolve(&children[i].children, parentSize: s, parentName: children[i].name)
        }
    }
}

/// Why an `.fmd` text could not be read.
public enum FMDError: UserFacingError, Equatable {
    case syntax(line: Int, reason: String)
    case unresolved(line: Int, region: String)
    case overlap(line: Int, region: String, parent: String)

    public var message: String {
        switch self {
        case .syntax(let line, let reason): return "flash map descriptor, line \(line): \(reason)"
        case .unresolved(let line, let region): return "flash map descriptor, line \(line): cannot work out the offset or size of region \(region)"
        case .overlap(let line, let region, let parent): return "flash map descriptor, line \(line): region \(region) overlaps a sibling or does not fit in \(parent)"
        }
    }

    public var fix: String? { "check the layout with `fmaptool FILE.fmd out.fmap`; sizes take K/M/G suffixes, offsets are `@N` relative to the parent" }
}

/// Tokenizer + recursive-descent parser for the `.fmd` grammar.
struct FMDParser {
    enum Token: Equatable {
        case name(String), number(Int), at, lparen, rparen, lbrace, rbrace, comma, end
    }

    var tokens: [(Token, Int)] = []
    var position = 0

    init(text: String) {
        var line = 1
        let chars = Array(text.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\n" { line += 1; i += 1; continue }
            if c == " " || c == "\t" || c == "\r" { i += 1; continue }
            if c == "#" { while i < chars.count, chars[i] != "\n" { i += 1 }; continue }
            switch c {
            case "@": tokens.append((.at, line)); i += 1; continue
            case "(": tokens.append((.lparen, line)); i += 1; continue
            case ")": tokens.append((.rparen, line)); i += 1; continue
            case "{": tokens.append((.lbrace, line)); i += 1; continue
            case "}": tokens.append((.rbrace, line)); i += 1; continue
            case ",": tokens.append((.comma, line)); i += 1; continue
            default: break
            }
            var word = ""
            while i < chars.count, chars[i].properties.isAlphabetic || ("0"..."9").contains(chars[i]) || chars[i] == "_" || chars[i] == "-" || chars[i] == "." {
                word.unicodeScalars.append(chars[i]); i += 1
            }
            if word.isEmpty {
                tokens.append((.name("\u{FFFD}" + String(c)), line)); i += 1; continue
            }
            if let n = Self.number(word) { tokens.append((.number(n), line)) } else { tokens.append((.name(word), line)) }
        }
        tokens.append((.end, line))
    }

    /// `0x1000` or `4096`, each with an optional K/M/G suffix.
    static func number(_ word: String) -> Int? {
        var w = Substring(word)
        var factor = 1
        if let last = w.last, "KMG".contains(last) {
            factor = last == "K" ? 1 << 10 : last == "M" ? 1 << 20 : 1 << 30
            w = w.dropLast()
        }
        // Digits only: Int(_:radix:) alone would also take a sign ("0x-B" is not minus eleven).
        let value: Int?
        if w.hasPrefix("0x") || w.hasPrefix("0X") {
            let digits = w.dropFirst(2)
            value = !digits.isEmpty && digits.allSatisfy(\.isHexDigit) ? Int(digits, radix: 16) : nil
        } else if w.count > 1, w.hasPrefix("0") {
            value = nil  // fmaptool rejects leading zeros (no octal)
        } else {
            value = !w.isEmpty && w.allSatisfy({ ("0"..."9").contains($0) }) ? Int(w) : nil
        }
        guard let value else { return nil }
        let (r, o) = value.multipliedReportingOverflow(by: factor)
        return o ? nil : r
    }

    var peek: Token { tokens[position].0 }
    var line: Int { tokens[position].1 }

    mutating func next() -> Token {
        defer { if position < tokens.count - 1 { position += 1 } }
        return tokens[position].0
    }

    mutating func expect(_ token: Token, _ what: String) throws {
        let l = line
        let t = next()
        guard t == token else { throw FMDError.syntax(line: l, reason: "expected \(what), found \(Self.describe(t))") }
    }

    static func describe(_ t: Token) -> String {
        switch t {
        case .name(let n): return "'\(n)'"
        case .number(let n): return "number \(n)"
        case .at: return "'@'"
        case .lparen: return "'('"
        case .rparen: return "')'"
        case .lbrace: return "'{'"
        case .rbrace: return "'}'"
        case .comma: return "','"
        case .end: return "end of file"
        }
    }

    mutating func parseRoot() throws -> FlashMapDescriptor.Region {
        let root = try parseRegion(depth: 0)
        guard peek == .end else { throw FMDError.syntax(line: line, reason: "unexpected \(Self.describe(peek)) after the root region") }
        return root
    }

    mutating func parseRegion(depth: Int) throws -> FlashMapDescriptor.Region {
        guard depth < 64 else { throw FMDError.syntax(line: line, reason: "regions nested too deeply") }
        let l = line
        guard case .name(let name) = next(), name.first?.isLetter == true || name.first == "_" else {
            throw FMDError.syntax(line: l, reason: "expected a region name")
        }
        var region = FlashMapDescriptor.Region(name: name, annotations: [], offset: nil, size: nil, children: [], line: l)
        guard name.utf8.count < 32 else { throw FMDError.syntax(line: l, reason: "region name '\(name)' is longer than 31 bytes") }
        if peek == .lparen {
            _ = next()
            while true {
                let al = line
                switch next() {
                case .name(let a):
                    guard ["CBFS", "PRESERVE"].contains(a) else { throw FMDError.syntax(line: al, reason: "unknown annotation '\(a)' (known: CBFS, PRESERVE)") }
                    region.annotations.append(a)
                case .comma: continue
                case .rparen: break
                case let t: throw FMDError.syntax(line: al, reason: "expected an annotation, found \(Self.describe(t))")
                }
                if tokens[position - 1].0 == .rparen { break }
            }
        }
        if peek == .at {
            _ = next()
            let nl = line
            guard case .number(let n) = next() else { throw FMDError.syntax(line: nl, reason: "expected an offset after '@'") }
            region.offset = n
        }
        if case .number(let n) = peek {
            _ = next()
            region.size = n
        }
        if peek == .lbrace {
            _ = next()
            while peek != .rbrace {
                if peek == .end { throw FMDError.syntax(line: line, reason: "missing '}' for region \(name)") }
                region.children.append(try parseRegion(depth: depth + 1))
            }
            _ = next()
            if region.children.isEmpty { throw FMDError.syntax(line: l, reason: "region \(name) has an empty '{ }'") }
        }
        return region
    }
}
