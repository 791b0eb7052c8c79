import Foundation

/// Where each part of a board came from: its profile chain, the folders names are looked up
/// in, and for every component the file its builder and each file input resolved to (the
/// board's folder, the owner's recipes or the shipped ones). `ownerboot boards --resolved`
/// prints it.
public struct BoardResolution: Sendable, Codable, Equatable {
    public struct File: Sendable, Codable, Equatable {
        /// As written: `unlocker/unlocker.sh`.
        public var name: String
        public var path: String
        /// `board`, `owner` or `shipped`.
        public var origin: String

        init(_ file: ResolvedFile) {
            name = file.name
            path = file.url.path
            origin = file.originName
        }
    }

    public struct Input: Sendable, Codable, Equatable {
        public var name: String
        /// `source`, `component`, `os-packages` or `file`.
        public var kind: String
        public var file: File?
    }

    public struct Component: Sendable, Codable, Equatable {
        public var name: String
        public var builder: File?
        public var inputs: [Input]
    }

    public struct Folder: Sendable, Codable, Equatable {
        /// `board`, `owner` or `shipped`.
        public var kind: String
        public var path: String
    }

    public var board: String
    /// The profiles, nearest first.
    public var profiles: [File]
    /// Where names are looked up, in order.
    public var searchPath: [Folder]
    public var components: [Component]

    public init(board: Board) {
        self.board = board.name
        profiles = board.profiles.map(File.init)
        searchPath = [Folder(kind: "board", path: board.directory.path)] + board.layers.layers.map { Folder(kind: $0.kind.rawValue, path: $0.directory.path) }
        let sources = Set(board.sources.map(\.name)), components = Set(board.components.map(\.name))
        self.components = board.components.map { component in
            Component(name: component.name, builder: board.resolve(component.builder).map(File.init), inputs: component.inputs.map { input in
                if sources.contains(input) { return Input(name: input, kind: "source") }
                if components.contains(input) { return Input(name: input, kind: "component") }
                if input == OSSpec.packagesInput { return Input(name: input, kind: "os-packages") }
                return Input(name: input, kind: "file", file: board.resolve(input).map(File.init))
            })
        }
    }
}
