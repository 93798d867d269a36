import ArgumentParser
import Foundation
import PromoCore
import PromoDSL
import PromoExplain
import PromoPlugins

struct Decide: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decide which offers a customer gets for a cart, and why the others are not given.",
        discussion: """
            Inputs are YAML (or JSON) files; rules/examples/ has a catalog, customers, carts and model outputs.
            Exit status: 0 decided, 1 the rules have errors, 2 usage or input error.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(help: "A customer file, or a customer id looked up in --customers.")
    var customer: String

    @Option(help: "The cart file (lines with sku, quantity and optional unit_price; channel; shipping).")
    var cart: String

    @Option(help: "Decision time, e.g. 2026-12-05T12:00+08:00 (default: now).")
    var at: String?

    @Option(
        help: ArgumentHelp(
            "Model outputs: a fixture file, or 'plugins' to ask the plugins promo.yaml binds.",
            discussion: "Default: <rules>/examples/models.yaml when it exists."))
    var models: String?

    @Option(help: "Models folder with the trained snapshots, for --models plugins (default: models/ beside the rules).")
    var modelsDir: String?

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @Option(help: "Rules folder.")
    var rules: String = "rules"

    @Option(help: "Folder of plugin manifests (default: plugins/ beside the rules folder).")
    var plugins: String?

    @Option(help: "Catalog file (default: <rules>/examples/catalog.yaml).")
    var catalog: String?

    @Option(help: "Customers file for looking up --customer by id (default: <rules>/examples/customers.yaml).")
    var customers: String?

    @Option(help: "Sales channel (default: the cart's, else web).")
    var channel: String?

    @Option(help: "Decision id, the idempotency key for budgets (default: derived from the inputs).")
    var decisionID: String?

    @Option(help: "Colour: auto, always or never. auto honours NO_COLOR.")
    var color: ColorChoice = .auto

    @Flag(help: "Print the full trace after the decision: every offer's conditions with their values.")
    var explain = false

    @Option(help: "Write the decision's trace (JSON, docs/trace-schema.json) to this file.")
    var traceOut: String?

    func run() throws {
        let ws = try PluginWorkspace.load(
            rules: rules, plugins: plugins, models: modelsDir, command: "decide", color: color)
        let (loaded, workspace) = (ws.loaded, ws.workspace)
        let ruleSet = try RuleSet(loaded)
        let inputs = InputFiles(currency: workspace.currency)
        let examples = rules + "/examples"
        do {
            let catalog = try inputs.catalog(self.catalog ?? examples + "/catalog.yaml")
            let person: Customer
            if FileManager.default.fileExists(atPath: customer) {
                guard let first = try inputs.customers(customer).first else {
                    throw ValidationError("no customer in \(customer)")
                }
                person = first
            } else {
                let file = customers ?? examples + "/customers.yaml"
                guard let found = try inputs.customers(file).first(where: { $0.id == customer }) else {
                    writeError("promo decide: no customer '\(customer)' in \(file), and no such file\n")
                    throw ExitCode(2)
                }
                person = found
            }
            let (cart, cartChannel) = try inputs.cart(self.cart, catalog: catalog)
            var time = Int64(Date().timeIntervalSince1970)
            if let at {
                guard let d = DateTimeValue.parse(at), let t = d.epochSeconds() else {
                    writeError(
                        "promo decide: --at '\(at)' is not a date-time with an offset, such as 2026-12-05T12:00+08:00\n"
                    )
                    throw ExitCode(2)
                }
                time = t
            }
            let modelsFile =
                models
                ?? (FileManager.default.fileExists(atPath: examples + "/models.yaml") ? examples + "/models.yaml" : nil)
            let outputs: any ModelOutputs
            var registry: PluginRegistry?
            if models == "plugins" {
                let r = ws.registry()
                for (name, fault) in r.start().sorted(by: { $0.key < $1.key }) {
                    writeError("promo decide: warning: plugin \(name): \(fault)\n")
                }
                registry = r
                outputs = r
            } else {
                outputs = try modelsFile.map { try inputs.models($0) } ?? FixtureModelOutputs()
            }
            defer { registry?.stop() }
            let channel = self.channel ?? cartChannel ?? "web"
            // By default the id is a stable hash of the inputs, so the same command gives the same decision.
            let inputs =
                "\(person.id)|\(time)|\(channel)|"
                + cart.lines.map { "\($0.id):\($0.sku)x\($0.quantity)@\($0.unitPrice)" }.joined(separator: ",")
            let id = decisionID ?? "d-" + String(Holdout.fnv1a64(Array(inputs.utf8)), radix: 16)
            let request = DecisionRequest(decisionID: id, customer: person, cart: cart, channel: channel, time: time)
            let engine = Engine(rules: ruleSet, catalog: catalog)
            let renderer = DecisionRenderer(color: format == .text && color.enabled(for: 1))
            guard explain || traceOut != nil else {
                let decision = engine.decide(request, models: outputs, ledger: InMemoryBudgetLedger())
                print(format == .json ? renderer.json(decision) : renderer.text(decision), terminator: "")
                return
            }
            let (decision, trace) = engine.decideTraced(
                request, models: outputs, masking: TraceMasking(ruleSet.traceSettings))
            if let traceOut {
                do {
                    try DecisionTrace.encoder().encode(trace).write(to: URL(fileURLWithPath: traceOut))
                } catch {
                    writeError("promo decide: cannot write \(traceOut): \(error.localizedDescription)\n")
                    throw ExitCode(2)
                }
            }
            if format == .json && explain {
                print(String(decoding: try DecisionTrace.encoder(pretty: true).encode(trace), as: UTF8.self))
                return
            }
            print(format == .json ? renderer.json(decision) : renderer.text(decision), terminator: "")
            if explain {
                print("\n" + TraceTextRenderer(color: color.enabled(for: 1)).render(trace), terminator: "")
            }
        } catch let error as InputError {
            writeError("promo decide: \(error)\n")
            throw ExitCode(2)
        }
    }
}
