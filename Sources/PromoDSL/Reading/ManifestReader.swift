import PromoYAML

extension NodeReader {
    /// Reads `plugins/<name>/plugin.yaml`.
    mutating func manifest(_ root: Node?) -> PluginManifest? {
        guard let root else {
            emptyFile("plugin manifest")
            return nil
        }
        guard let f = fields(root, as: "manifest", what: "a plugin manifest") else { return nil }
        version(f, key: "plugin")
        guard let name = f("name").flatMap({ identifier($0, what: "plugin name") }),
            let role = f("role").flatMap({ identifier($0, what: "role") })
        else { return nil }
        var m = PluginManifest(
            file: file, name: name, role: role, version: f("version").flatMap { text($0, what: "a version") } ?? "0",
            description: f("description").flatMap { text($0, what: "a description") },
            namespace: f("namespace").flatMap { identifier($0, what: "namespace") } ?? role, functions: [],
            trainsOn: [], runtime: .builtin(typeName: ""), settings: [], span: span(root))
        for fn in f("functions").flatMap({ list($0, what: "functions") }) ?? [] {
            guard let ff = fields(fn, as: "function", what: "a function"),
                let fname = ff("name").flatMap({ identifier($0, what: "function name") }),
                let result = ff("result").flatMap({ type($0) }),
                let per = ff("per").flatMap({
                    enumeration($0, what: "per", ModelFunction.Scope.allCases.map(\.rawValue))
                })
            else { continue }
            var params: [ModelFunction.Parameter] = []
            for p in ff("params").flatMap({ list($0, what: "params") }) ?? [] {
                guard let pf = fields(p, as: "param", what: "a parameter"),
                    let pname = pf("name").flatMap({ identifier($0, what: "parameter name") }),
                    let ptype = pf("type").flatMap({ type($0) })
                else { continue }
                params.append(ModelFunction.Parameter(name: pname, type: ptype))
            }
            let isField = ff("field").flatMap { bool($0, what: "field") } ?? false
            if isField && !params.isEmpty, let node = ff("field") {
                bag.add(.invalidValue, "a field takes no parameters", at: span(node))
            }
            if m.functions.contains(where: { $0.name == fname }), let node = ff("name") {
                bag.add(.duplicateID, "function '\(fname)' is declared twice", at: span(node))
            }
            m.functions.append(
                ModelFunction(
                    name: fname, parameters: params, result: result, per: ModelFunction.Scope(rawValue: per)!,
                    isField: isField, description: ff("description").flatMap { text($0, what: "a description") },
                    span: span(fn)))
        }
        m.trainsOn =
            f("trains_on").flatMap { list($0, what: "trains_on") }?.compactMap { identifier($0, what: "table name") }
            ?? []
        if let r = f("runtime"), let rf = fields(r, as: "runtime", what: "runtime") {
            if let b = rf("builtin"), let t = text(b, what: "a Swift type name") {
                m.runtime = .builtin(typeName: t)
            } else if let c = rf("command"), let args = list(c, what: "command") {
                let arguments = args.compactMap { text($0, what: "a command argument") }
                var env: [String: String] = [:]
                for pair in rf("environment").flatMap({ mappingPairs($0, what: "environment") }) ?? [] {
                    if let k = text(pair.key, what: "a variable name"), let v = text(pair.value, what: "a value") {
                        env[k] = v
                    }
                }
                var deadline = 100
                if let d = rf("deadline"), let t = text(d, what: "a deadline") {
                    if t.hasSuffix("ms"), let v = Int(t.dropLast(2)), v > 0 {
                        deadline = v
                    } else if t.hasSuffix("s"), let v = Int(t.dropLast()), v > 0 {
                        deadline = v * 1000
                    } else {
                        bag.add(.invalidValue, "'\(t)' is not a deadline", at: span(d), hint: "write 50ms or 2s")
                    }
                }
                m.runtime = .command(
                    arguments: arguments,
                    workingDirectory: rf("working_directory").flatMap { text($0, what: "a directory") },
                    environment: env, deadlineMilliseconds: deadline,
                    maxBatch: rf("max_batch").flatMap { integer($0, what: "max_batch", range: 1...1_000_000) } ?? 1000)
                if arguments.isEmpty { bag.add(.invalidValue, "command must name a program", at: span(c)) }
            } else {
                bag.add(.missingKey, "runtime needs 'builtin' or 'command'", at: span(r))
            }
        }
        for pair in f("settings").flatMap({ mappingPairs($0, what: "settings") }) ?? [] {
            guard let sname = identifier(pair.key, what: "setting name"),
                let sf = fields(pair.value, as: "setting", what: "setting '\(sname)'"),
                let stype = sf("type").flatMap({ type($0) })
            else { continue }
            _ = sf("description").flatMap { text($0, what: "a description") }
            m.settings.append(.init(name: sname, type: stype, defaultValue: sf("default")?.scalar?.value))
        }
        return m
    }

    mutating func type(_ node: Node) -> ValueType? {
        guard let t = text(node, what: "a type name") else { return nil }
        guard let v = ValueType(name: t) else {
            bag.add(
                .invalidValue, "unknown type '\(t)'", at: span(node),
                hint: Suggestions.hint(for: t, in: ValueType.names) ?? "one of: "
                    + ValueType.names.joined(separator: ", ") + ", list<T>")
            return nil
        }
        return v
    }
}
