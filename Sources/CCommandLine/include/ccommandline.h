// The plugin's command line, kept by a constructor of its own (see commandline.c). No API: the
// Swift runtime calls `_swift_stdlib_getUnsafeArgvArgc` itself, for `CommandLine.arguments`.
#pragma once
