// Package importrules holds no code: its test enforces the import rules of docs/architecture.md ("Which way
// imports go") on every package of the module, by reading `go list`.
package importrules
