internal import CLibYAML

extension YAMLReader {
    /// A container being built: its items so far, and for mappings the keys seen.
    private struct Frame {
        var isMapping: Bool
        var start: Mark
        var items: [Node] = []
        var pairs: [Node.Pair] = []
        var pendingKey: Node?
        var keys: [String: Mark] = [:]
    }

    private static func mark(_ m: yaml_mark_t) -> Mark {
        Mark(line: Int(m.line) + 1, column: Int(m.column) + 1)
    }

    func parseEvents(_ buffer: UnsafeBufferPointer<UInt8>, source: SourceText) throws(YAMLError) -> Node? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw YAMLError(.syntax, "libyaml could not initialize (out of memory)", at: Mark(line: 1, column: 1))
        }
        defer { yaml_parser_delete(&parser) }
        if let base = buffer.baseAddress {
            yaml_parser_set_input_string(&parser, base, buffer.count)
        } else {
            var empty: UInt8 = 0
            yaml_parser_set_input_string(&parser, &empty, 0)
        }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)

        var stack: [Frame] = []
        var root: Node?
        var documents = 0
        var nodes = 0
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else {
                throw Self.libyamlError(&parser, source: source)
            }
            defer { yaml_event_delete(&event) }
            let start = Self.mark(event.start_mark)
            let end = Self.mark(event.end_mark)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return root
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    throw YAMLError(
                        .multipleDocuments, "a second YAML document starts here; a rules file holds one document",
                        at: start, length: 3, hint: "put each campaign in a file of its own")
                }
                if event.data.document_start.tag_directives.start != event.data.document_start.tag_directives.end {
                    throw YAMLError(.tag, "%TAG directives are not allowed", at: start)
                }
            case YAML_ALIAS_EVENT:
                throw YAMLError(
                    .alias, "aliases (*name) are not allowed", at: start, length: end.column - start.column,
                    hint: "write the value out in full")
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                try Self.checkAnchorAndTag(anchor: s.anchor, tag: s.tag, at: start)
                nodes += 1
                try checkNodeCount(nodes, at: start)
                let value = String(
                    decoding: UnsafeBufferPointer(start: s.value, count: Int(s.length)), as: UTF8.self)
                let style: ScalarStyle =
                    switch s.style {
                    case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
                    case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
                    case YAML_LITERAL_SCALAR_STYLE: .literal
                    case YAML_FOLDED_SCALAR_STYLE: .folded
                    default: .plain
                    }
                let node = Node(content: .scalar(Scalar(value: value, style: style)), start: start, end: end)
                try append(node, to: &stack, root: &root)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                if isMapping {
                    try Self.checkAnchorAndTag(
                        anchor: event.data.mapping_start.anchor, tag: event.data.mapping_start.tag, at: start)
                } else {
                    try Self.checkAnchorAndTag(
                        anchor: event.data.sequence_start.anchor, tag: event.data.sequence_start.tag, at: start)
                }
                nodes += 1
                try checkNodeCount(nodes, at: start)
                if stack.count >= limits.maxDepth {
                    throw YAMLError(
                        .tooDeep, "nesting is deeper than \(limits.maxDepth) levels", at: start,
                        hint: "flatten the structure, or raise the depth limit")
                }
                if let top = stack.last, top.isMapping, top.pendingKey == nil {
                    throw YAMLError(
                        .complexKey, "a mapping key must be text, not a \(isMapping ? "mapping" : "sequence")",
                        at: start)
                }
                stack.append(Frame(isMapping: isMapping, start: start))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = stack.popLast() else { break }
                let content: Node.Content = frame.isMapping ? .mapping(frame.pairs) : .sequence(frame.items)
                try append(Node(content: content, start: frame.start, end: end), to: &stack, root: &root)
            default:
                break
            }
        }
    }

    private func checkNodeCount(_ count: Int, at mark: Mark) throws(YAMLError) {
        if count > limits.maxNodes {
            throw YAMLError(
                .tooManyNodes, "the document has more than \(limits.maxNodes) nodes", at: mark,
                hint: "split the file, or raise the node limit")
        }
    }

    private static func checkAnchorAndTag(
        anchor: UnsafeMutablePointer<yaml_char_t>?, tag: UnsafeMutablePointer<yaml_char_t>?, at mark: Mark
    ) throws(YAMLError) {
        if let anchor {
            let name = String(cString: anchor)
            throw YAMLError(
                .anchor, "anchors (&\(name)) are not allowed", at: mark, length: name.count + 1,
                hint: "write the value out in full; rules files do not share nodes")
        }
        if let tag {
            let name = String(cString: tag)
            throw YAMLError(
                .tag, "explicit tags are not allowed (found '\(name)')", at: mark,
                hint: "remove the tag; the rules schema gives every value its type")
        }
    }

    private func append(_ node: Node, to stack: inout [Frame], root: inout Node?) throws(YAMLError) {
        guard !stack.isEmpty else {
            root = node
            return
        }
        let i = stack.count - 1
        if !stack[i].isMapping {
            stack[i].items.append(node)
            return
        }
        guard let key = stack[i].pendingKey else {
            // This node is a key.
            guard let scalar = node.scalar else {
                throw YAMLError(.complexKey, "a mapping key must be text, not a \(node.shapeName)", at: node.start)
            }
            if scalar.style == .plain && scalar.value == "<<" {
                throw YAMLError(
                    .mergeKey, "merge keys (<<) are not allowed", at: node.start, length: 2,
                    hint: "write the merged keys out in full")
            }
            if let first = stack[i].keys[scalar.value] {
                throw YAMLError(
                    .duplicateKey, "duplicate key '\(scalar.value)'", at: node.start,
                    length: max(1, node.end.line == node.start.line ? node.end.column - node.start.column : 1),
                    note: YAMLError.Note(message: "first defined here", mark: first),
                    hint: "remove one of them; YAML would silently keep only the last")
            }
            stack[i].keys[scalar.value] = node.start
            stack[i].pendingKey = node
            return
        }
        stack[i].pairs.append(Node.Pair(key: key, value: node))
        stack[i].pendingKey = nil
    }

    private static func libyamlError(_ parser: inout yaml_parser_t, source: SourceText) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown YAML error"
        let context = parser.context.map { String(cString: $0) }
        let mark: Mark
        if parser.error == YAML_READER_ERROR {
            // Reader errors only carry a byte offset; the text was validated already, so this is rare.
            mark = Mark(line: 1, column: 1)
        } else {
            mark = Self.mark(parser.problem_mark)
        }
        var message = problem
        if let context { message = "\(problem) \(context)" }
        var hint: String?
        let index = source.index(of: mark)
        if index < source.scalars.count, source.scalars[index] == "\t" {
            hint = "indent with spaces; YAML does not allow tabs for indentation"
        }
        var note: YAMLError.Note?
        if let context, parser.error != YAML_READER_ERROR {
            let contextMark = Self.mark(parser.context_mark)
            if contextMark != mark { note = YAMLError.Note(message: context, mark: contextMark) }
        }
        return YAMLError(.syntax, message, at: mark, note: note, hint: hint)
    }
}
