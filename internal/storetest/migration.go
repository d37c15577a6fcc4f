package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// PreviousReleaseSession is a session as the release before signers
// stored it (migrations 0001–0003): its status, and the columns the
// migration to signers reads.
type PreviousReleaseSession struct {
	ID, Status, SignerDetails, RedirectURL, FailureReason string
	CompletedAt                                           *time.Time
}

// PreviousReleaseSessions are the sessions a test puts into a database
// of the previous release: one of each kind the migration maps.
var PreviousReleaseSessions = []PreviousReleaseSession{
	{ID: "00000000-0000-4000-8000-000000000001", Status: "PENDING", SignerDetails: `{"name":"Asha Rao","email":"asha@example.com"}`, RedirectURL: "https://sign.example/1"},
	{ID: "00000000-0000-4000-8000-000000000002", Status: "IN_PROGRESS", SignerDetails: `{"name":"Bo"}`, RedirectURL: "https://sign.example/2"},
	{ID: "00000000-0000-4000-8000-000000000003", Status: "COMPLETED", SignerDetails: `{"name":"Cai","identity":"199001011239"}`, RedirectURL: "https://sign.example/3",
		CompletedAt: ptr(time.Date(2026, 11, 1, 12, 0, 0, 123456000, time.UTC))},
	{ID: "00000000-0000-4000-8000-000000000004", Status: "FAILED", SignerDetails: `{"name":"Dee"}`, RedirectURL: "https://sign.example/4", FailureReason: "User cancelled"},
	{ID: "00000000-0000-4000-8000-000000000005", Status: "CANCELLED", SignerDetails: `{"name":"Eve"}`},
}

// CheckMigratedFromPreviousRelease checks that every session of
// PreviousReleaseSessions, in tenant tenantID, reads back as a one-signer
// session whose signer stands where the session stood, and that their
// signers await their links (SignersWithoutLinks).
func CheckMigratedFromPreviousRelease(t *testing.T, st Store, tenantID string) {
	t.Helper()
	ctx := t.Context()
	wantStatus := map[string]signing.SignerStatus{"PENDING": signing.SignerPending, "IN_PROGRESS": signing.SignerInProgress,
		"COMPLETED": signing.SignerSigned, "FAILED": signing.SignerFailed, "CANCELLED": signing.SignerPending}
	for _, old := range PreviousReleaseSessions {
		s, err := st.Session(ctx, tenantID, old.ID)
		if err != nil {
			t.Fatalf("migrated session %s: %v", old.ID, err)
		}
		if string(s.Status) != old.Status || s.SigningOrder != signing.Sequential || s.ProviderCompletedAt != nil || len(s.Signers) != 1 {
			t.Fatalf("migrated %s session: status %s, order %q, %d signers", old.Status, s.Status, s.SigningOrder, len(s.Signers))
		}
		sg := s.Signers[0]
		if sg.ID != "sgn_"+old.ID || sg.Status != wantStatus[old.Status] || sg.ProviderURL != old.RedirectURL || sg.FailureReason != old.FailureReason {
			t.Errorf("migrated %s session's signer: %+v", old.Status, sg)
		}
		if !jsonEqual(sg.Details, json.RawMessage(old.SignerDetails)) || !jsonEqual(s.SignerDetails, json.RawMessage(old.SignerDetails)) {
			t.Errorf("migrated %s session's signer details: %s / %s, want %s", old.Status, sg.Details, s.SignerDetails, old.SignerDetails)
		}
		checkOptTime(t, "migrated SignedAt", sg.SignedAt, old.CompletedAt)
	}
	missing, err := st.SignersWithoutLinks(ctx, 100)
	if err != nil || len(missing) != len(PreviousReleaseSessions) {
		t.Errorf("SignersWithoutLinks after the migration = %d, %v; want %d", len(missing), err, len(PreviousReleaseSessions))
	}
}
