import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot store verify|gc`.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "store", abstract: "Check or clean the store.", subcommands: [Verify.self, GC.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify", abstract: "Re-hash every output and report corruption.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            global.bootstrapLogging()
            let corrupt = try Store().verify()
            if json { try JSONOutput.print(corrupt) } else if corrupt.isEmpty { print("store verified: every output matches its recorded hash") } else {
                for c in corrupt { print("CORRUPT \(c.output): recorded \(c.expected.prefix(16)), now \(c.actual.map { String($0.prefix(16)) } ?? "missing")") }
            }
            if !corrupt.isEmpty { throw ExitCode(1) }
        }
    }

    struct GC: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "gc", abstract: "Remove outputs no generation needs (its derivations, snapshot, sources and .debs stay).")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            global.bootstrapLogging()
            let (removed, freed) = try GenerationInputs.collectGarbage(try Store())
            for name in removed { print("removed \(name)") }
            print(String(format: "freed %.1f MiB (%d entries); every recorded generation keeps what it needs to be rebuilt", Double(freed) / 1_048_576, removed.count))
        }
    }
}
