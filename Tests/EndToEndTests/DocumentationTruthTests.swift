import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

extension EndToEnd {
    /// docs/cli.md against the real binaries, so the documentation cannot drift: every option
    /// every subcommand's `--help` shows is documented for that command, every option a synopsis
    /// lists exists, and the metric families served at start are exactly the documented ones.
    @Suite("Documentation truth: docs/cli.md matches the binaries")
    struct DocumentationTruth {
        static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        static var cliPath: String { Self.repository.appendingPathComponent("docs/cli.md").path }

        static func cliDocument() throws -> CLIDocument {
            CLIDocument(text: try String(contentsOfFile: Self.cliPath, encoding: .utf8))
        }

        @Test("every subcommand's --help options (ztagent and ztserver) are in docs/cli.md, and every synopsis option exists")
        func optionsMatchHelp() async throws {
            let document = try Self.cliDocument()
            var problems: [String] = []
            var checked = 0
            for binary in ["ztagent", "ztserver"] {
                let executable = try binary == "ztagent" ? Peers.ztagent() : Peers.ztserver()
                for command in try await HelpTree.walk(executable: executable, name: binary) {
                    checked += 1
                    let documented = document.text(for: command.path)
                    for option in command.options where !CLIDocument.mentions(option, in: documented) {
                        problems.append("\(command.path.joined(separator: " ")): \(option.joined(separator: "/")) is not in its section or synopsis of docs/cli.md")
                    }
                    let available = Set(command.options.flatMap { $0 })
                    for option in document.synopsisOptions(for: command.path) where !available.contains(option) {
                        problems.append("\(command.path.joined(separator: " ")): docs/cli.md's synopsis lists \(option), which --help does not show")
                    }
                    if !command.path.dropFirst().isEmpty, command.subcommands.isEmpty, document.sectionText(for: command.path) == nil {
                        problems.append("\(command.path.joined(separator: " ")): no section of docs/cli.md covers this command")
                    }
                }
            }
            #expect(checked > 20, "walked only \(checked) commands")
            #expect(problems.isEmpty, "docs/cli.md is out of step with the binaries:\n\(problems.joined(separator: "\n"))")
        }

        @Test("the metric families ztserver and ztagent serve at start are exactly the ones docs/cli.md lists")
        func metricFamiliesMatchDocs() async throws {
            let curl = try PeerTool.require("curl")
            let document = try Self.cliDocument()
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("docs-metrics")
                let running = try await scope.startEnrollmentServer(server, extraArguments: ["--metrics-listen", "127.0.0.1:0"])
                let serverMetrics = try Ports.parse("metrics", in: running.listeningLine)
                let token = try await server.createToken()
                let state = try scope.temporaryDirectory("docs-metrics-agent")
                let enrolled = try await enroll(token: token, state: state)
                #expect(enrolled.status == 0, "\(enrolled)")
                let agentPort = try Ports.free()
                _ = try await scope.startEnrolledAgent(state: state, extraArguments: ["--metrics-listen", "127.0.0.1:\(agentPort)"])

                let scrape = { (port: Int) async throws -> Set<String> in
                    let result = try await runTool(curl, ["-sf", "--max-time", "5", "http://127.0.0.1:\(port)/metrics"])
                    guard result.status == 0 else { throw HarnessError("curl :\(port)/metrics exited \(result.status): \(result.stderr)") }
                    return MetricFamilies.parse(result.stdout)
                }
                let servedByServer = try await scrape(serverMetrics)
                let servedByAgent = try await scrape(agentPort)
                let documentedServer = document.metricFamilies(prefix: "ztserver_")
                let documentedAgent = document.metricFamilies(prefix: "ztagent_")
                let serverAtStart = document.metricFamilies(prefix: "ztserver_", when: ["start"])
                let agentAtStart = document.metricFamilies(prefix: "ztagent_", when: ["start", "enrolled", "intercept"])
                #expect(serverAtStart.count > 10 && agentAtStart.count > 10, "the metrics tables were not found in docs/cli.md")
                #expect(servedByServer.subtracting(documentedServer).isEmpty, "ztserver serves undocumented families: \(servedByServer.subtracting(documentedServer).sorted())")
                #expect(serverAtStart.subtracting(servedByServer).isEmpty, "documented ztserver families absent at start: \(serverAtStart.subtracting(servedByServer).sorted())")
                #expect(servedByAgent.subtracting(documentedAgent).isEmpty, "ztagent serves undocumented families: \(servedByAgent.subtracting(documentedAgent).sorted())")
                #expect(agentAtStart.subtracting(servedByAgent).isEmpty, "documented ztagent families absent at start (enrolled, with the router's tunnel): \(agentAtStart.subtracting(servedByAgent).sorted())")
            }
        }

        @Test("a static-mode agent serves only documented families, and every one documented for every mode")
        func staticAgentMetricFamilies() async throws {
            let curl = try PeerTool.require("curl")
            let document = try Self.cliDocument()
            try await TestScope.run { scope in
                let fixture = try ServerFixture()
                scope.adopt(directory: fixture.directory)
                let laptop = try fixture.issue("laptop-metrics")
                let work = try scope.temporaryDirectory("docs-metrics-static")
                let config = try writeAgentConfig(in: work, certificate: laptop.certificatePath, key: laptop.keyPath, ca: fixture.caPath, serverPorts: [853])
                var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: config))) as? [String: Any])
                let port = try Ports.free()
                object["metricsListen"] = "127.0.0.1:\(port)"
                try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: config))
                _ = try await scope.startAgent(config: config)
                let result = try await runTool(curl, ["-sf", "--max-time", "5", "http://127.0.0.1:\(port)/metrics"])
                #expect(result.status == 0, "\(result.stderr)")
                let served = MetricFamilies.parse(result.stdout)
                let documented = document.metricFamilies(prefix: "ztagent_")
                let always = document.metricFamilies(prefix: "ztagent_", when: ["start"])
                #expect(always.count > 10, "no agent families marked 'start' in docs/cli.md")
                #expect(served.subtracting(documented).isEmpty, "undocumented: \(served.subtracting(documented).sorted())")
                #expect(always.subtracting(served).isEmpty, "documented as always served, absent in static mode: \(always.subtracting(served).sorted())")
            }
        }
    }
}

/// One command of a binary as its `--help` shows it.
struct HelpCommand {
    /// `["ztserver", "token", "create"]`.
    let path: [String]
    /// Each option's spellings (`["--json", "--no-json"]` for an inversion), without --help/--version.
    let options: [[String]]
    let subcommands: [String]
}

/// Walks a binary's subcommand tree through `--help`.
enum HelpTree {
    static func walk(executable: String, name: String) async throws -> [HelpCommand] {
        var found: [HelpCommand] = []
        var pending: [[String]] = [[name]]
        while let path = pending.popLast() {
            let result = try await runTool(executable, Array(path.dropFirst()) + ["--help"], timeout: 20)
            guard result.status == 0 else {
                throw HarnessError("\(path.joined(separator: " ")) --help exited \(result.status): \(result.stderr.prefix(500))")
            }
            let command = Self.parse(result.stdout, path: path)
            found.append(command)
            pending += command.subcommands.map { path + [$0] }
        }
        return found
    }

    /// Reads ArgumentParser's help: section titles are unindented lines ending in ':'; entries are
    /// indented two spaces; an entry's description starts after a run of spaces.
    static func parse(_ help: String, path: [String]) -> HelpCommand {
        var section = ""
        var options: [[String]] = []
        var subcommands: [String] = []
        for line in help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if let first = line.first, !first.isWhitespace {
                section = line.hasSuffix(":") ? String(line.dropLast()) : (line.split(separator: ":").first.map(String.init) ?? "")
                continue
            }
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
            let entry = line.dropFirst(2)
            let head = entry.components(separatedBy: "  ").first ?? String(entry)
            if section == "SUBCOMMANDS" {
                if let word = head.split(separator: " ").first, word != "See", word != "help" { subcommands.append(String(word)) }
            } else if section != "USAGE" && section != "OVERVIEW" && section != "ARGUMENTS" && head.hasPrefix("-") {
                let names = Self.longOptions(in: head).filter { $0 != "--help" && $0 != "--version" }
                if !names.isEmpty { options.append(names) }
            }
        }
        return HelpCommand(path: path, options: options, subcommands: subcommands)
    }

    /// Every `--name` in a piece of text.
    static func longOptions(in text: String) -> [String] {
        var names: [String] = []
        var characters = Substring(text)
        while let range = characters.range(of: "--") {
            var name = "--"
            var index = range.upperBound
            while index < characters.endIndex, characters[index].isLetter || characters[index].isNumber || characters[index] == "-" {
                name.append(characters[index])
                index = characters.index(after: index)
            }
            if name.count > 2, name.dropFirst(2).first?.isLetter == true { names.append(name) }
            characters = characters[index...]
        }
        return names
    }
}

/// docs/cli.md, split the way the test needs it.
struct CLIDocument {
    let text: String
    var lines: [String] { self.text.components(separatedBy: "\n") }

    /// Whether any spelling of `option` appears in `text` as a whole option name.
    static func mentions(_ option: [String], in text: String) -> Bool {
        let present = Set(HelpTree.longOptions(in: text))
        return option.contains { present.contains($0) }
    }

    /// The commands a `### ...` heading names: "`ztserver token create | list`" names
    /// `ztserver token create` and `ztserver token list`; several backticked names may follow.
    static func commands(inHeading heading: String) -> [[String]] {
        let quoted = heading.components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        var commands: [[String]] = []
        for name in quoted {
            let alternatives = name.components(separatedBy: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let first = alternatives.first?.split(separator: " ").map(String.init), first.first?.hasPrefix("zt") == true else { continue }
            commands.append(first)
            for alternative in alternatives.dropFirst() {
                commands.append(Array(first.dropLast()) + alternative.split(separator: " ").map(String.init))
            }
        }
        return commands
    }

    /// The text of the `###` section whose heading names `path`, if any.
    func sectionText(for path: [String]) -> String? {
        var result: [String] = []
        var inside = false
        var found = false
        for line in self.lines {
            if line.hasPrefix("#") {
                inside = line.hasPrefix("### ") && Self.commands(inHeading: line).contains(path)
                if inside { found = true }
            }
            if inside { result.append(line) }
        }
        return found ? result.joined(separator: "\n") : nil
    }

    /// The text between `## BINARY` and its first `###` (what every subcommand of it takes).
    func preamble(of binary: String) -> String {
        var result: [String] = []
        var inside = false
        for line in self.lines {
            if line.hasPrefix("## ") { inside = line == "## \(binary)" } else if line.hasPrefix("### ") { inside = false }
            if inside { result.append(line) }
        }
        return result.joined(separator: "\n")
    }

    /// The synopsis lines (in code blocks) for exactly `path`, continuation lines joined.
    func synopsis(for path: [String]) -> [String] {
        var commands: [String] = []
        var inCode = false
        for line in self.lines {
            if line.hasPrefix("```") { inCode.toggle(); continue }
            guard inCode else { continue }
            if line.first?.isWhitespace == true, let last = commands.popLast() {
                commands.append(last + " " + line.trimmingCharacters(in: .whitespaces))
            } else {
                commands.append(line)
            }
        }
        let prefix = path.joined(separator: " ")
        return commands.filter { line in
            guard line.hasPrefix(prefix) else { return false }
            let rest = line.dropFirst(prefix.count)
            return rest.isEmpty || rest.first == " "
        }.filter { line in
            // "ztagent service add …" is the synopsis of "ztagent service add", not of "ztagent service".
            let words = line.split(separator: " ").map(String.init)
            return words.count <= path.count || !self.isSubcommandWord(words[path.count], after: path)
        }
    }

    /// Whether `word` after `path` in a synopsis is itself a documented subcommand (so the line
    /// is the subcommand's synopsis, not `path`'s).
    private func isSubcommandWord(_ word: String, after path: [String]) -> Bool {
        self.lines.contains { line in
            line.hasPrefix("### ") && Self.commands(inHeading: line).contains { Array($0.prefix(path.count + 1)) == path + [word] }
        }
    }

    /// Everything that documents `path`: its section, its synopsis and its binary's preamble.
    func text(for path: [String]) -> String {
        ([self.sectionText(for: path) ?? ""] + self.synopsis(for: path) + [self.preamble(of: path[0])]).joined(separator: "\n")
    }

    /// The options `path`'s synopsis lines list.
    func synopsisOptions(for path: [String]) -> [String] {
        Array(Set(self.synopsis(for: path).flatMap { HelpTree.longOptions(in: $0) }))
    }

    /// The metric families in the `## Metrics` tables: rows `| \`name{labels}\` | type | when | what |`
    /// (`\|` inside a cell is an escaped bar). `when` keeps only rows whose third column is one of them.
    func metricFamilies(prefix: String, when: Set<String>? = nil) -> Set<String> {
        var families: Set<String> = []
        var inside = false
        for line in self.lines {
            if line.hasPrefix("## ") { inside = line == "## Metrics" }
            guard inside, line.hasPrefix("| `\(prefix)") else { continue }
            let cells = line.replacingOccurrences(of: "\\|", with: "\u{1}").split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = cells.first?.trimmingCharacters(in: CharacterSet(charactersIn: "`")).split(separator: "{").first else { continue }
            if let when, cells.count < 3 || !when.contains(cells[2]) { continue }
            families.insert(String(name))
        }
        return families
    }
}

/// The families a Prometheus text exposition declares (`# TYPE name kind`).
enum MetricFamilies {
    static func parse(_ exposition: String) -> Set<String> {
        Set(exposition.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(separator: " ")
            guard words.count >= 4, words[0] == "#", words[1] == "TYPE" else { return nil }
            return String(words[2])
        })
    }
}
