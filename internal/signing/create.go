package signing

import (
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of CONTRACT.md §1 and §2.
const (
	MaxOrderIDLen       = 255
	MaxMetadataKeys     = 50
	MaxMetadataKeyLen   = 40
	MaxMetadataValueLen = 500
	MaxFilenameLen      = 255
	MaxURLLen           = 2048
	MaxExpiry           = 30 * 24 * time.Hour
	DefaultExpiry       = 24 * time.Hour
	DefaultLanguage     = "en"
)

// CreateRequest is a decoded POST /signing body. The HTTP layer decodes
// JSON and base64; the rules about values live here.
type CreateRequest struct {
	OrderID       string
	SignerDetails json.RawMessage
	Filename      string
	Content       []byte // the decoded PDF
	Provider      string
	Language      string
	ReturnURL     string
	ExpiresAt     *time.Time
	Metadata      map[string]string
}

// Checks are the validations that need more than the request itself: the
// provider's signer-details schema and a PDF parser. The service is given
// them so that the domain stays free of those libraries.
type Checks struct {
	// SignerDetails validates signerDetails against the provider's JSON
	// Schema and returns one FieldError per problem, with fields named
	// "signerDetails.<path>".
	SignerDetails func(provider string, details json.RawMessage) []FieldError
	// PDF returns an error explaining why content is not a usable PDF.
	PDF func(content []byte) error
}

// validate applies every rule of CONTRACT.md to r, filling in defaults.
// It names each invalid field; provider must be the resolved provider.
func (r *CreateRequest) validate(now time.Time, info ProviderInfo, checks Checks) error {
	v := &ValidationError{}
	switch {
	case r.OrderID == "":
		v.Add("orderId", "is required")
	case utf8.RuneCountInString(r.OrderID) > MaxOrderIDLen:
		v.Add("orderId", "must be at most %d characters", MaxOrderIDLen)
	case strings.TrimSpace(r.OrderID) == "":
		v.Add("orderId", "must not be blank")
	}

	if r.Language == "" {
		r.Language = DefaultLanguage
	}
	if !slices.Contains(info.Languages, r.Language) {
		v.Add("language", "provider %s does not support %q; supported: %s", info.Name, r.Language, strings.Join(info.Languages, ", "))
	}

	if len(r.SignerDetails) == 0 || string(r.SignerDetails) == "null" {
		v.Add("signerDetails", "is required")
	} else if checks.SignerDetails != nil {
		v.Errors = append(v.Errors, checks.SignerDetails(info.Name, r.SignerDetails)...)
	}

	switch {
	case strings.TrimSpace(r.Filename) == "":
		v.Add("document.filename", "is required")
	case utf8.RuneCountInString(r.Filename) > MaxFilenameLen:
		v.Add("document.filename", "must be at most %d characters", MaxFilenameLen)
	case strings.ContainsAny(r.Filename, "/\\\x00"):
		v.Add("document.filename", "must be a file name, not a path")
	}
	if len(r.Content) == 0 {
		v.Add("document.content", "is required: the base64-encoded PDF")
	} else if checks.PDF != nil {
		if err := checks.PDF(r.Content); err != nil {
			v.Add("document.content", "is not a valid PDF: %v", err)
		}
	}

	if r.ReturnURL != "" {
		if msg := checkHTTPURL(r.ReturnURL); msg != "" {
			v.Add("returnUrl", "%s", msg)
		}
	}

	if r.ExpiresAt != nil {
		switch {
		case !r.ExpiresAt.After(now):
			v.Add("expiresAt", "must be in the future")
		case r.ExpiresAt.Sub(now) > MaxExpiry:
			v.Add("expiresAt", "must be at most 30 days ahead")
		}
	}

	if len(r.Metadata) > MaxMetadataKeys {
		v.Add("metadata", "must have at most %d keys, has %d", MaxMetadataKeys, len(r.Metadata))
	}
	for _, k := range slices.Sorted(maps.Keys(r.Metadata)) {
		switch {
		case k == "":
			v.Add("metadata", "keys must not be empty")
		case utf8.RuneCountInString(k) > MaxMetadataKeyLen:
			v.Add("metadata."+k, "key must be at most %d characters", MaxMetadataKeyLen)
		case utf8.RuneCountInString(r.Metadata[k]) > MaxMetadataValueLen:
			v.Add("metadata."+k, "value must be at most %d characters", MaxMetadataValueLen)
		}
	}
	return v.Err()
}

// checkHTTPURL returns why s is not an absolute http(s) URL, or "".
func checkHTTPURL(s string) string {
	if len(s) > MaxURLLen {
		return "must be at most 2048 characters"
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an absolute http or https URL"
	}
	return ""
}
