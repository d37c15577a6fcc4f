// Package simtest is the plumbing the provider packages' tests share: a
// test clock, an HTTP server with a provider simulator mounted under
// /sandbox/<provider>/, a non-redirecting browser, a callback receiver,
// the adapter-against-simulator flow harness, and the checks the
// adapters' and simulators' tests share (status-mapping tables, requests
// refused before the provider is called, evidence, eSign signatures).
//
// It is for tests only: no production package may import it.
package simtest
