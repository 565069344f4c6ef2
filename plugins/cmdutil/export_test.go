package cmdutil

// ExitCode lets the external tests check exit codes on the plugins' real command trees.
var ExitCode = exitCode
