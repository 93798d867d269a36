import ArgumentParser
import PromoDSL

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a JSON Schema of the rules files, for editors (yaml-language-server) and CI."
    )

    func run() throws {
        print(RulesJSONSchema.text, terminator: "")
    }
}
