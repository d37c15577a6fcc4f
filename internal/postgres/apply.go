package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/signet-dev/signet/internal/dbcodec"
	"github.com/signet-dev/signet/internal/signing"
)

// rowsPerStatement bounds the changes (or entries) one batched statement
// carries as arrays.
const rowsPerStatement = 1000

// batchSize bounds the statements in one pipelined batch.
const batchSize = 1000

// queryUpdateMany is UpdateSession's conditional update for many sessions
// in one statement: each row of the arrays updates the session of its id
// and tenant if it is still at the expected version, and the statement
// returns the slot (ord) and new version of each row that won. A session
// occurs at most once per statement (applyChanges sees to it), so that
// no row is matched twice. The arrays come sorted by id, and the plan
// walks them in order (nested loop over the primary key), so that rows
// are locked in id order.
const queryUpdateMany = `UPDATE sessions s SET
		order_id = u.order_id, status = u.status, signer_details = u.signer_details, provider = u.provider,
		language = u.language, signers = u.signers, signing_order = u.signing_order,
		provider_completed_at = u.provider_completed_at, return_url = u.return_url, failure_reason = u.failure_reason,
		metadata = u.metadata, document_name = u.document_name, provider_ref = u.provider_ref,
		provider_state = u.provider_state, updated_at = u.updated_at, completed_at = u.completed_at,
		expires_at = u.expires_at, next_poll_at = u.next_poll_at, version = s.version + 1
	FROM unnest($1::int[], $2::text[], $3::text[], $4::bigint[],
		$5::text[], $6::text[], $7::json[], $8::text[], $9::text[], $10::json[], $11::text[],
		$12::timestamptz[], $13::text[], $14::text[], $15::json[], $16::text[], $17::text[], $18::json[],
		$19::timestamptz[], $20::timestamptz[], $21::timestamptz[], $22::timestamptz[])
		AS u(ord, id, tenant_id, expect,
			order_id, status, signer_details, provider, language, signers, signing_order,
			provider_completed_at, return_url, failure_reason, metadata, document_name, provider_ref, provider_state,
			updated_at, completed_at, expires_at, next_poll_at)
	WHERE s.id = u.id AND s.tenant_id = u.tenant_id AND s.version = u.expect
	RETURNING u.ord, s.version`

// queryAddEntries is queueEntries for many entries in one statement, the
// outbox included: it numbers the entries from audit_entries' own
// sequence in the order given (the trail's order), stores them, and fans
// out one delivery per entry with a Webhook body and endpoint of the
// tenant that wants its type, as queryFanOut does for one.
const queryAddEntries = `WITH input AS MATERIALIZED (
			SELECT nextval(pg_get_serial_sequence('audit_entries', 'id')) AS id, u.*
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
				$7::json[], $8::timestamptz[], $9::text[], $10::text[], $11::bytea[])
				WITH ORDINALITY AS u(session_id, tenant_id, type, from_status, to_status, detail,
					data, created_at, signer_id, prefix, webhook, ord)
			ORDER BY u.ord),
		entry AS (
			INSERT INTO audit_entries (id, session_id, tenant_id, type, from_status, to_status, detail, data, created_at, signer_id)
			OVERRIDING SYSTEM VALUE
			SELECT id, session_id, tenant_id, type, from_status, to_status, detail, data, created_at, signer_id
			FROM input ORDER BY id)
	INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, session_id, event_id,
		event_type, payload, state, attempts, next_attempt_at, created_at)
	SELECT 'msg_' || i.prefix || substr(gen_random_uuid()::text, 20),
		e.tenant_id, e.id, i.session_id, i.id, i.type, i.webhook, 'pending', 0, i.created_at, i.created_at
	FROM input i JOIN webhook_endpoints e ON e.tenant_id = i.tenant_id
	WHERE i.webhook IS NOT NULL AND (cardinality(e.events) = 0 OR i.type = ANY (e.events))
	FOR KEY SHARE OF e`

// sendBatch sends b and runs read on its results, then closes it.
func sendBatch(ctx context.Context, tx pgx.Tx, b *pgx.Batch, read func(pgx.BatchResults) error) error {
	br := tx.SendBatch(ctx, b)
	if read != nil {
		if err := read(br); err != nil {
			br.Close()
			return err
		}
	}
	return br.Close()
}

// applyChanges writes changes inside tx. It returns, per change, nil
// (applied) with the new version, or ErrStale or ErrNotFound (skipped,
// nothing written). Any other error aborts the transaction. The caller
// sets the versions once the transaction committed.
//
// First come the conditional updates, in the order of the session ids
// (two sweeps over overlapping sessions then lock rows in the same order
// and cannot deadlock), as a few statements of arrays (queryUpdateMany):
// a round per occurrence of a session, so that changes of one session keep
// their order. Then, for the changes that applied, their documents, and
// their audit entries with the outbox's deliveries (queryAddEntries).
func applyChanges(ctx context.Context, tx pgx.Tx, changes []signing.Change) ([]error, []int64, error) {
	order := make([]int, len(changes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return strings.Compare(changes[a].Session.ID, changes[b].Session.ID)
	})
	// rounds[r] holds the (r+1)th change of each session, in id order.
	var rounds [][]int
	round := make([]int, len(changes))
	for k, i := range order {
		if k > 0 && changes[order[k-1]].Session.ID == changes[i].Session.ID {
			round[i] = round[order[k-1]] + 1
		}
		if round[i] == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[round[i]] = append(rounds[round[i]], i)
	}

	versions := make([]int64, len(changes))
	applied := make([]bool, len(changes))
	for _, r := range rounds {
		for chunk := range slices.Chunk(r, rowsPerStatement) {
			args, err := updateArgs(changes, chunk)
			if err != nil {
				return nil, nil, err
			}
			rows, err := tx.Query(ctx, queryUpdateMany, args...)
			if err != nil {
				return nil, nil, err
			}
			var (
				ord     int32
				version int64
			)
			_, err = pgx.ForEachRow(rows, []any{&ord, &version}, func() error {
				applied[ord], versions[ord] = true, version
				return nil
			})
			if err != nil {
				return nil, nil, err
			}
		}
	}

	results, err := explainMissed(ctx, tx, changes, applied)
	if err != nil {
		return nil, nil, err
	}

	b := &pgx.Batch{}
	var entries entryArrays
	for i, c := range changes {
		if !applied[i] {
			continue
		}
		if c.Signed != nil {
			queueDocument(b, c.Session, signing.DocumentSigned, *c.Signed)
		}
		for _, e := range c.Entries {
			if err := entries.add(c.Session, e); err != nil {
				return nil, nil, err
			}
			if entries.len() == rowsPerStatement {
				b.Queue(queryAddEntries, entries.args()...)
				entries = entryArrays{}
			}
		}
		if b.Len() >= batchSize {
			if err := sendBatch(ctx, tx, b, nil); err != nil {
				return nil, nil, err
			}
			b = &pgx.Batch{}
		}
	}
	if entries.len() > 0 {
		b.Queue(queryAddEntries, entries.args()...)
	}
	if b.Len() > 0 {
		if err := sendBatch(ctx, tx, b, nil); err != nil {
			return nil, nil, err
		}
	}
	return results, versions, nil
}

// updateArgs are queryUpdateMany's arrays for the changes in slots.
func updateArgs(changes []signing.Change, slots []int) ([]any, error) {
	n := len(slots)
	var (
		ord                                                                 = make([]int32, n)
		ids, tenants, orders, statuses, providers, languages, signingOrders = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		returnURLs, reasons, docNames, refs                                 = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		expect                                                              = make([]int64, n)
		signerDetails, signers, metadata, providerStates                    = make([][]byte, n), make([][]byte, n), make([][]byte, n), make([][]byte, n)
		providerCompleted, completed, nextPoll                              = make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n)
		updated, expires                                                    = make([]time.Time, n), make([]time.Time, n)
	)
	for k, i := range slots {
		c, s := changes[i], changes[i].Session
		m, err := dbcodec.EncodeMap(s.Metadata)
		if err != nil {
			return nil, fmt.Errorf("session %s: %w: metadata: %w", s.ID, signing.ErrInvalid, err)
		}
		sg, err := dbcodec.EncodeSigners(s.Signers)
		if err != nil {
			return nil, fmt.Errorf("session %s: %w: signers: %w", s.ID, signing.ErrInvalid, err)
		}
		ord[k], ids[k], tenants[k], expect[k] = int32(i), s.ID, s.TenantID, c.ExpectVersion
		orders[k], statuses[k], signerDetails[k], providers[k], languages[k] = s.OrderID, string(s.Status), []byte(s.SignerDetails), s.Provider, s.Language
		signers[k], signingOrders[k], providerCompleted[k], returnURLs[k], reasons[k] = sg, string(s.SigningOrder), s.ProviderCompletedAt, s.ReturnURL, s.FailureReason
		metadata[k], docNames[k], refs[k], providerStates[k] = m, s.DocumentName, s.ProviderRef, dbcodec.NullJSON(s.ProviderState)
		updated[k], completed[k], expires[k], nextPoll[k] = s.UpdatedAt, s.CompletedAt, s.ExpiresAt, s.NextPollAt
	}
	return []any{ord, ids, tenants, expect,
		orders, statuses, signerDetails, providers, languages, signers, signingOrders,
		providerCompleted, returnURLs, reasons, metadata, docNames, refs, providerStates,
		updated, completed, expires, nextPoll}, nil
}

// explainMissed tells, for each change that did not apply, a lost race
// (ErrStale) from a missing session (ErrNotFound); nil for the others.
func explainMissed(ctx context.Context, tx pgx.Tx, changes []signing.Change, applied []bool) ([]error, error) {
	results := make([]error, len(changes))
	var missed []string
	for i, ok := range applied {
		if !ok {
			missed = append(missed, changes[i].Session.ID)
		}
	}
	if len(missed) == 0 {
		return results, nil
	}
	rows, err := tx.Query(ctx, `SELECT id, tenant_id FROM sessions WHERE id = ANY ($1)`, missed)
	if err != nil {
		return nil, err
	}
	owner := map[string]string{}
	var id, tenant string
	_, err = pgx.ForEachRow(rows, []any{&id, &tenant}, func() error {
		owner[id] = tenant
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, c := range changes {
		switch t, ok := owner[c.Session.ID]; {
		case applied[i]:
		case !ok || t != c.Session.TenantID:
			results[i] = signing.ErrNotFound
		default:
			results[i] = fmt.Errorf("%w: want version %d", signing.ErrStale, c.ExpectVersion)
		}
	}
	return results, nil
}

// entryArrays are queryAddEntries' arguments, one slot per entry.
type entryArrays struct {
	sessions, tenants, types, from, to, details, signers []string
	data                                                 [][]byte
	at                                                   []time.Time
	prefixes                                             []*string
	webhooks                                             [][]byte
}

func (a *entryArrays) len() int { return len(a.sessions) }

// add appends e, an entry of sess, with the defaults queueEntries applies.
func (a *entryArrays) add(sess *signing.Session, e signing.AuditEntry) error {
	var prefix *string
	if len(e.Webhook) > 0 {
		u, err := uuid.NewV7()
		if err != nil {
			return err
		}
		p := u.String()[:19] // "tttttttt-tttt-7sss-": time, version, sequence
		prefix = &p
	}
	a.sessions = append(a.sessions, sess.ID)
	a.tenants = append(a.tenants, sess.TenantID)
	a.types = append(a.types, e.Type)
	a.from = append(a.from, string(e.FromStatus))
	a.to = append(a.to, string(e.ToStatus))
	a.details = append(a.details, e.Detail)
	a.data = append(a.data, dbcodec.NullJSON(e.Data))
	a.at = append(a.at, dbcodec.OrDefault(e.CreatedAt, sess.UpdatedAt))
	a.signers = append(a.signers, e.SignerID)
	a.prefixes = append(a.prefixes, prefix)
	a.webhooks = append(a.webhooks, nilIfEmpty(e.Webhook))
	return nil
}

func (a *entryArrays) args() []any {
	return []any{a.sessions, a.tenants, a.types, a.from, a.to, a.details,
		a.data, a.at, a.signers, a.prefixes, a.webhooks}
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
