import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot store verify|gc`.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "store", abstract: "Check or clean the store.", subcommands: [Verify.self, GC.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify", abstract: "Re-hash every output and report corruption; with --repair, make the corrupt ones again.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Remove each corrupt entry and make it again (as `nix store verify --repair`): .debs, sources and Debian's metadata are fetched, build environments and components rebuilt from a generation's board snapshot, a snapshot taken again from the boards folder when it still has the same files; says per entry what it did.") var repair = false
        @Option(help: "Derivations built at once while repairing.") var jobs = 2
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            global.bootstrapLogging()
            let store = try Store()
            let corrupt = try store.verify()
            if !repair {
                if json { try JSONOutput.print(corrupt) } else if corrupt.isEmpty { print("store verified: every output matches its recorded hash") } else {
                    for c in corrupt { print("CORRUPT \(c.output): recorded \(c.expected.prefix(16)), now \(c.actual.map { String($0.prefix(16)) } ?? "missing")") }
                }
                if !corrupt.isEmpty { throw ExitCode(1) }
                return
            }
            let catalog = try? global.boardCatalog()
            let progress = ProgressRenderer.standard(json: json)
            var builder = Builder(store: store, jobs: jobs)
            builder.progress = progress.sink
            let repairer = StoreRepair(store: store, builder: builder, fetcher: InputFetcher(store: store), currentBoard: { name in try? catalog?.load(name) })
            defer { progress.finish() }
            let actions = try repairer.repair(corrupt, progress: progress.sink)
            progress.finish()
            let failed = actions.contains { $0.outcome == .notRepaired }
            if json { try JSONOutput.print(actions) } else if actions.isEmpty { print("store verified: every output matches its recorded hash; nothing to repair") } else {
                for action in actions { print("\(action.outcome.rawValue.uppercased()) \(action.output): \(action.detail)") }
            }
            if failed { throw ExitCode(1) }
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
