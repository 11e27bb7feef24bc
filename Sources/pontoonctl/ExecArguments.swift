/// `exec NAME CMD…` as podman takes it: everything after the container's name is the command, its
/// options too. ArgumentParser cannot say "the rest after this positional" while still reading the
/// options before it, so the `--` a user may leave out is put in before parsing: after NAME, when
/// the command is `exec` and what follows NAME is not already `--`.
enum ExecArguments {
    /// The options given with a value (`--state-dir DIR`): their values are not the command's name.
    static let optionsWithValue: Set<String> = ["--state-dir", "--config-dir", "--plugin-dir", "--netns-dir", "--aardvark-binary"]

    static func normalised(_ arguments: [String]) -> [String] {
        var index = 0
        var seenExec = false
        while index < arguments.count {
            let word = arguments[index]
            if word == "--" { return arguments }   // given already (or before the name: left to the parser)
            if word.hasPrefix("-") {
                index += optionsWithValue.contains(word) ? 2 : 1
                continue
            }
            if !seenExec {
                guard word == "exec" else { return arguments }   // another command: nothing to do
                seenExec = true
                index += 1
                continue
            }
            // The container's name: the command starts after it.
            let rest = index + 1
            guard rest < arguments.count, arguments[rest] != "--" else { return arguments }
            return Array(arguments[...index]) + ["--"] + arguments[rest...]
        }
        return arguments
    }
}
