import NetavarkDoor

/// netavark's command line (`[global options] setup|teardown <netns>`, `version`, `update`), served
/// by the NetavarkDoor library.
enum NetavarkEntry {
    static func run(arguments: [String], environment: [String: String]) -> ProcessIO.Answer {
        let answer = NetavarkInvocation.answer(arguments: arguments, environment: environment,
                                               readInput: ProcessIO.readStandardInput)
        return ProcessIO.Answer(output: answer.output, status: answer.status, undo: answer.undo)
    }
}
