package cms

import (
	"bytes"
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Timestamp is an RFC 3161 TimeStampToken whose signature verified.
type Timestamp struct {
	SignedData    *SignedData
	GenTime       time.Time // UTC
	Policy        asn1.ObjectIdentifier
	SerialNumber  *big.Int
	ImprintHash   crypto.Hash // the message imprint's algorithm
	HashedMessage []byte      // the message imprint's digest
	Nonce         *big.Int    // nil when the token has none
}

// tstInfo is RFC 3161's TSTInfo.
type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint struct {
		HashAlgorithm pkix.AlgorithmIdentifier
		HashedMessage []byte
	}
	SerialNumber *big.Int
	GenTime      time.Time `asn1:"generalized"`
	Accuracy     struct {
		Seconds int `asn1:"optional"`
		Millis  int `asn1:"optional,tag:0"`
		Micros  int `asn1:"optional,tag:1"`
	} `asn1:"optional"`
	Ordering   bool             `asn1:"optional"`
	Nonce      *big.Int         `asn1:"optional"`
	TSA        asn1.RawValue    `asn1:"optional,tag:0"`
	Extensions []pkix.Extension `asn1:"optional,tag:1"`
}

// ParseTimestamp parses an RFC 3161 TimeStampToken (a ContentInfo) and
// verifies its signature with the TSA certificate it carries. When the CMS
// parses but the token is bad, it returns the error and a Timestamp
// holding only SignedData, so that a report can still say who signed it.
func ParseTimestamp(der []byte) (*Timestamp, error) {
	sd, err := Parse(der)
	if err != nil {
		return nil, err
	}
	ts := &Timestamp{SignedData: sd}
	if !sd.ContentType.Equal(oidTSTInfo) || sd.Content == nil {
		return ts, errors.New("token does not hold a TSTInfo")
	}
	if err := sd.Verify(nil); err != nil {
		return ts, err
	}
	var info tstInfo
	if _, err := asn1.Unmarshal(sd.Content, &info); err != nil {
		return ts, fmt.Errorf("TSTInfo: %w", err)
	}
	hash := hashFor(info.MessageImprint.HashAlgorithm.Algorithm)
	if hash == 0 {
		return ts, fmt.Errorf("unsupported imprint algorithm %v", info.MessageImprint.HashAlgorithm.Algorithm)
	}
	return &Timestamp{
		SignedData:    sd,
		GenTime:       info.GenTime.UTC(),
		Policy:        info.Policy,
		SerialNumber:  info.SerialNumber,
		ImprintHash:   hash,
		HashedMessage: info.MessageImprint.HashedMessage,
		Nonce:         info.Nonce,
	}, nil
}

// Covers returns an error unless the token's message imprint is the
// digest of data.
func (t *Timestamp) Covers(data []byte) error {
	h := t.ImprintHash.New()
	h.Write(data)
	if !bytes.Equal(h.Sum(nil), t.HashedMessage) {
		return errors.New("token timestamps other data")
	}
	return nil
}
