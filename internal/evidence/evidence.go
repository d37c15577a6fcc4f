// Package evidence renders audit certificates: PDF pages that tell a
// person and a court what happened to a signing session — the session and
// its outcome, each signer and how they were identified, the SHA-256 of
// the documents, the provider's own evidence (attached as files) and every
// event, with times in UTC.
//
// Render makes a standalone certificate; AppendAudit adds the same pages
// to the end of a document Signet signs itself. Neither seals anything:
// the caller signs the result (pdf.PAdES), so that any later change shows.
package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
)

// Certificate is what an audit certificate shows. Every field is optional
// text for the reader; nothing is checked against anything else.
type Certificate struct {
	// Title heads the first page; empty: "Certificate of completion" for a
	// completed session, "Audit certificate" otherwise.
	Title    string   `json:"title"`
	Session  Session  `json:"session"`
	Signers  []Signer `json:"signers"`
	Document Document `json:"document"`
	// Evidence is what the provider delivered besides the signed
	// document: BankID's signature XML and OCSP response, Signzy's audit
	// certificate, and the like.
	Evidence []Item `json:"evidence"`
	// Events is the session's audit trail, oldest first.
	Events      []Event   `json:"events"`
	GeneratedAt time.Time `json:"generatedAt,omitzero"`
	// Issuer says who issued the certificate, e.g. "Signet at
	// https://sign.example.com".
	Issuer string `json:"issuer"`
}

// Session describes the signing session.
type Session struct {
	ID           string `json:"id"`
	OrderID      string `json:"orderId"`
	Provider     string `json:"provider"`     // the provider's id, e.g. "bankid"
	ProviderName string `json:"providerName"` // its name for people, e.g. "Swedish BankID"
	// Status is COMPLETED, FAILED, EXPIRED or CANCELLED (or an open one).
	Status string `json:"status"`
	// SigningOrder is sequential or parallel; empty with one signer.
	SigningOrder string    `json:"signingOrder,omitempty"`
	CreatedAt    time.Time `json:"createdAt,omitzero"`
	// EndedAt is when the session reached its final status.
	EndedAt       time.Time `json:"endedAt,omitzero"`
	ExpiresAt     time.Time `json:"expiresAt,omitzero"`
	FailureReason string    `json:"failureReason,omitempty"`
}

// Signer describes one signer and how they were identified.
type Signer struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	// Status is SIGNED, FAILED, WAITING, PENDING or IN_PROGRESS.
	Status   string    `json:"status"`
	SignedAt time.Time `json:"signedAt,omitzero"`
	// Identification says how the signer was identified, e.g. "E-mail
	// one-time code", "Aadhaar eSign (OTP)", "Swedish BankID".
	Identification string `json:"identification"`
	// IdentityDetails is what the identification established, in order:
	// the name BankID returned and the personal number with all but the
	// birth date masked, the signer data Aadhaar eSign returned.
	IdentityDetails []Detail `json:"identityDetails,omitempty"`
	IP              string   `json:"ip,omitempty"`
	UserAgent       string   `json:"userAgent,omitempty"`
	FailureReason   string   `json:"failureReason,omitempty"`
}

// Detail is a labelled value.
type Detail struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Document identifies the document that was signed.
type Document struct {
	Name   string `json:"name"`  // the original's file name
	Pages  int    `json:"pages"` // the original's page count; 0: not shown
	SHA256 string `json:"sha256"`
	// SignedSHA256 is the signed document's digest, when the session
	// completed. AppendAudit ignores it: its pages are part of that
	// document.
	SignedSHA256 string `json:"signedSha256,omitempty"`
}

// Item is one piece of the provider's evidence.
type Item struct {
	Name        string `json:"name"` // e.g. "BankID signature (XML)"
	Description string `json:"description,omitempty"`
	// SHA256 is the evidence's digest, for evidence that is not attached
	// (the certificate computes it for attached files).
	SHA256 string `json:"sha256,omitempty"`
	// Attached is the evidence itself, embedded as a file attachment
	// named FileName (a name is made up if empty) with the media type
	// ContentType (default application/octet-stream).
	Attached    []byte `json:"-"`
	FileName    string `json:"fileName,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	Note        string `json:"note,omitempty"`
}

// Event is one entry of the audit trail.
type Event struct {
	Time   time.Time `json:"time"`
	Type   string    `json:"type"`   // e.g. signing.completed
	Signer string    `json:"signer"` // whom it concerns, if anyone
	Detail string    `json:"detail"`
}

// DataFile is the name of the attachment that holds the certificate's
// data as JSON, every text in its original characters.
const DataFile = "certificate.json"

// MaxAttached is the most bytes of evidence a certificate embeds.
const MaxAttached = 64 << 20

// Render returns the certificate as a standalone A4 PDF. It fails only if
// the attached evidence exceeds MaxAttached.
func Render(c Certificate) ([]byte, error) {
	d, err := build(c, false)
	if err != nil {
		return nil, err
	}
	return d.write(true), nil
}

// AppendAudit returns original with the certificate's pages and
// attachments added after its last page, by an incremental update: the
// bytes of original stay as they are. original must pass pdf.Validate and
// must not carry a certification signature. Seal the result afterwards.
func AppendAudit(original []byte, c Certificate) ([]byte, error) {
	d, err := build(c, true)
	if err != nil {
		return nil, err
	}
	out, err := pdf.AppendPages(original, d.write(false))
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	return out, nil
}

// build lays out the certificate and collects its attachments.
func build(c Certificate, appended bool) (*document, error) {
	files, err := attachments(&c)
	if err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	files = append(files, attachment{
		name: DataFile, mime: "application/json", data: append(data, '\n'),
		desc: "The data of this audit certificate, every text in its original characters",
	})
	d := &document{c: c, appended: appended, files: files, l: newLayout()}
	d.compose()
	return d, nil
}

// attachment is a file embedded in the certificate.
type attachment struct {
	name, desc, mime string
	data             []byte
}

// attachments fills in the digests and file names of the attached
// evidence and returns the files to embed.
func attachments(c *Certificate) ([]attachment, error) {
	c.Evidence = append([]Item(nil), c.Evidence...)
	total := 0
	taken := map[string]bool{DataFile: true}
	var files []attachment
	for i := range c.Evidence {
		it := &c.Evidence[i]
		if it.Attached == nil {
			continue
		}
		if total += len(it.Attached); total > MaxAttached {
			return nil, fmt.Errorf("evidence: attached evidence exceeds %d MiB", MaxAttached>>20)
		}
		sum := sha256.Sum256(it.Attached)
		it.SHA256 = hex.EncodeToString(sum[:])
		it.FileName = uniqueName(fileName(it.FileName, i+1), taken)
		if it.ContentType == "" {
			it.ContentType = "application/octet-stream"
		}
		files = append(files, attachment{name: it.FileName, desc: it.Name, mime: it.ContentType, data: it.Attached})
	}
	return files, nil
}

// fileName returns a safe attachment name: the base name of name without
// control characters, or evidence-<n>.bin.
func fileName(name string, n int) string {
	name = strings.ReplaceAll(strings.ToValidUTF8(name, ""), "\\", "/")
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(path.Base(name))
	if name == "." || name == "/" || name == ".." {
		return "evidence-" + strconv.Itoa(n) + ".bin"
	}
	if len(name) > 120 {
		name = strings.ToValidUTF8(name[:120], "")
	}
	return name
}

// uniqueName returns name, or name with a number added, whichever is not
// taken yet, and takes it.
func uniqueName(name string, taken map[string]bool) string {
	out := name
	ext := path.Ext(name)
	for n := 2; taken[out]; n++ {
		out = strings.TrimSuffix(name, ext) + "-" + strconv.Itoa(n) + ext
	}
	taken[out] = true
	return out
}
