// The Swift runtime's one question about the command line, answered without its start-up cost.
//
// With the Swift standard library linked statically (scripts/build), `CommandLine.arguments` comes
// from `_swift_stdlib_getUnsafeArgvArgc`, defined in libswiftCore.a's CommandLine.cpp beside a
// constructor that, before main in every process, reads /proc/self/maps and searches the stack for
// argv (about 50 µs of each plugin start). glibc hands argc and argv to every constructor of the
// executable, so this one keeps them and this file defines the function itself: the linker then
// never pulls CommandLine.cpp's object out of the archive, and its constructor never runs. (Where
// the runtime is a shared library, as in debug test builds, its own definition and constructor
// stay; this one answers the same.) Nothing of ours calls the runtime's override
// (`_swift_stdlib_overrideUnsafeArgvArgc`, in the same object): a caller of it would pull the
// object back in and the link would fail on the duplicate definition, loudly.
#include "ccommandline.h"

#include <stddef.h>

static char **captured_argv;
static int captured_argc;

__attribute__((constructor)) static void capture_command_line(int argc, char **argv, char **envp) {
    (void)envp;
    captured_argc = argc;
    captured_argv = argv;
}

char **_swift_stdlib_getUnsafeArgvArgc(int *outArgLen) {
    static char *empty[] = {NULL};
    if (captured_argv == NULL) {
        *outArgLen = 0;
        return empty;
    }
    *outArgLen = captured_argc;
    return captured_argv;
}
