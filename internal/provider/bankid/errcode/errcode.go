// Package errcode holds BankID's error codes (the errorCode of an error
// body of the RP API), which both the adapter and its simulator speak.
package errcode

// BankID's error codes.
const (
	AlreadyInProgress = "alreadyInProgress"
	InvalidParameters = "invalidParameters"
	Unauthorized      = "unauthorized"
	NotFound          = "notFound"
	MethodNotAllowed  = "methodNotAllowed"
	RequestTimeout    = "requestTimeout"
	UnsupportedMedia  = "unsupportedMediaType"
	InternalError     = "internalError"
	Maintenance       = "maintenance"
)
