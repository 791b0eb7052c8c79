/// Rewrites make-style `key=value` words (as users of Heads and lbmk type `board=x230`) into
/// the `--key value` options the parser knows. A word with a `/` before its `=`, or one that
/// starts with `-`, is left alone, so paths and real options pass through untouched.
public enum MakeStyleArguments {
    public static func normalize(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var passThrough = false
        for word in arguments {
            if passThrough || word.hasPrefix("-") {
                if word == "--" { passThrough = true }
                result.append(word)
                continue
            }
            if let eq = word.firstIndex(of: "="), eq != word.startIndex {
                let key = word[..<eq]
                if key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), key.first!.isLetter {
                    result.append("--" + key.replacingOccurrences(of: "_", with: "-"))
                    result.append(String(word[word.index(after: eq)...]))
                    continue
                }
            }
            result.append(word)
        }
        return result
    }
}
