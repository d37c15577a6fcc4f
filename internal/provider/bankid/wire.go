package bankid

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The wire shapes of BankID's RP API v6.0. Requests are written as BankID
// documents them; of the answers only the fields Signet uses are read.

// signRequest is the body of POST /sign.
type signRequest struct {
	EndUserIP             string       `json:"endUserIp"`
	UserVisibleData       string       `json:"userVisibleData"`
	UserVisibleDataFormat string       `json:"userVisibleDataFormat,omitempty"`
	UserNonVisibleData    string       `json:"userNonVisibleData,omitempty"`
	Requirement           *requirement `json:"requirement,omitempty"`
	ReturnURL             string       `json:"returnUrl,omitempty"`
}

// requirement restricts who may sign and how. Signet asks for one person.
type requirement struct {
	PersonalNumber string `json:"personalNumber,omitempty"`
}

// signResponse is BankID's answer to /sign.
type signResponse struct {
	OrderRef       string `json:"orderRef"`
	AutoStartToken string `json:"autoStartToken"`
	QRStartToken   string `json:"qrStartToken"`
	QRStartSecret  string `json:"qrStartSecret"`
}

// orderRequest is the body of POST /collect and /cancel.
type orderRequest struct {
	OrderRef string `json:"orderRef"`
}

// The statuses of a collect answer.
const (
	statusPending  = "pending"
	statusFailed   = "failed"
	statusComplete = "complete"
)

// collectResponse is what Signet reads of a collect answer.
type collectResponse struct {
	OrderRef       string          `json:"orderRef"`
	Status         string          `json:"status"`
	HintCode       string          `json:"hintCode"`
	CompletionData *completionData `json:"completionData"`
	// rawCompletion is completionData exactly as BankID sent it (compacted),
	// kept as evidence.
	rawCompletion json.RawMessage
}

// completionData is the proof of a completed order.
type completionData struct {
	User struct {
		PersonalNumber string `json:"personalNumber"`
		Name           string `json:"name"`
		GivenName      string `json:"givenName"`
		Surname        string `json:"surname"`
	} `json:"user"`
	Device struct {
		IPAddress string `json:"ipAddress"`
		UHI       string `json:"uhi"`
	} `json:"device"`
	BankIDIssueDate string `json:"bankIdIssueDate"`
	Signature       string `json:"signature"`    // base64 XML
	OCSPResponse    string `json:"ocspResponse"` // base64 DER
}

// errBadCollect wraps every reason a collect answer is unusable.
var errBadCollect = errors.New("malformed collect answer")

// parseCollect reads a collect answer. It fails (errBadCollect) when the
// body is not a JSON object, status or hintCode is not a string, or a
// complete answer lacks the completion data Signet needs. Unknown
// statuses and hint codes are not errors: mapCollect tolerates them.
func parseCollect(b []byte) (*collectResponse, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", errBadCollect)
	}
	var raw struct {
		OrderRef       json.RawMessage `json:"orderRef"`
		Status         json.RawMessage `json:"status"`
		HintCode       json.RawMessage `json:"hintCode"`
		CompletionData json.RawMessage `json:"completionData"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadCollect, err)
	}
	var c collectResponse
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{{"orderRef", raw.OrderRef, &c.OrderRef}, {"status", raw.Status, &c.Status}, {"hintCode", raw.HintCode, &c.HintCode}} {
		if len(f.raw) == 0 || string(f.raw) == "null" {
			continue
		}
		if err := json.Unmarshal(f.raw, f.dst); err != nil {
			return nil, fmt.Errorf("%w: %s is not a string", errBadCollect, f.name)
		}
		*f.dst = strings.TrimSpace(*f.dst)
	}
	if c.Status == "" {
		return nil, fmt.Errorf("%w: no status", errBadCollect)
	}
	if cd := bytes.TrimSpace(raw.CompletionData); len(cd) > 0 && string(cd) != "null" {
		if cd[0] != '{' {
			return nil, fmt.Errorf("%w: completionData is not an object", errBadCollect)
		}
		var d completionData
		if err := json.Unmarshal(cd, &d); err != nil {
			return nil, fmt.Errorf("%w: completionData: %v", errBadCollect, err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, cd); err != nil {
			return nil, fmt.Errorf("%w: completionData: %v", errBadCollect, err)
		}
		c.CompletionData, c.rawCompletion = &d, compact.Bytes()
	}
	if c.Status == statusComplete {
		if c.CompletionData == nil {
			return nil, fmt.Errorf("%w: complete without completionData", errBadCollect)
		}
		if strings.TrimSpace(c.CompletionData.Signature) == "" {
			return nil, fmt.Errorf("%w: complete without a signature", errBadCollect)
		}
	}
	return &c, nil
}
