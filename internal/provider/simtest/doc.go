// Package simtest is the plumbing the provider packages' tests share: a
// test clock, an HTTP server with a provider simulator mounted under
// /sandbox/<provider>/, a non-redirecting browser, a callback receiver,
// and the adapter-against-simulator flow harness.
//
// It is for tests only: no production package may import it.
package simtest
