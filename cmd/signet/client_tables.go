package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/signet-dev/signet/api"
)

// The tables the client commands print for people (tab-separated; the
// caller aligns them with a tabwriter).

// sessionTable shows one session, a field a line, then its signers.
func sessionTable(w io.Writer, s *api.Session) {
	row := func(name, value string) {
		if value != "" {
			fmt.Fprintf(w, "%s\t%s\n", name, value)
		}
	}
	row("ID", s.SigningSessionID)
	row("ORDER", s.OrderID)
	row("STATUS", string(s.Status))
	row("FAILURE", s.FailureReason)
	row("PROVIDER", s.Provider)
	row("LANGUAGE", s.Language)
	if len(s.Signers) == 0 {
		row("SIGNER", string(s.SignerDetails))
	}
	row("SIGNING ORDER", s.SigningOrder)
	row("SIGN AT", s.RedirectURL)
	row("RETURN URL", s.ReturnURL)
	row("DOCUMENT", s.DocumentURL)
	row("CREATED", stamp(s.CreatedAt))
	row("UPDATED", stamp(s.UpdatedAt))
	if s.CompletedAt != nil {
		row("COMPLETED", stamp(*s.CompletedAt))
	}
	row("EXPIRES", stamp(s.ExpiresAt))
	for _, k := range slices.Sorted(maps.Keys(s.Metadata)) {
		row("METADATA", k+"="+s.Metadata[k])
	}
	for i, sg := range s.Signers {
		line := fmt.Sprintf("%s  %s", sg.Status, sg.SignerDetails)
		if sg.SignedAt != nil {
			line += "  signed " + stamp(*sg.SignedAt)
		}
		if sg.FailureReason != "" {
			line += "  failed: " + sg.FailureReason
		}
		row("SIGNER "+strconv.Itoa(i+1), line)
		row("  SIGN AT", sg.RedirectURL)
	}
}

func sessionsTable(w io.Writer, list []api.Session) {
	fmt.Fprintln(w, "ID\tORDER\tSTATUS\tPROVIDER\tCREATED")
	for _, s := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.SigningSessionID, s.OrderID, s.Status, s.Provider, stamp(s.CreatedAt))
	}
}

func eventsTable(w io.Writer, events []api.Event) {
	fmt.Fprintln(w, "TIME\tTYPE\tSTATUS\tDETAIL")
	for _, e := range events {
		status := string(e.Status)
		if e.FromStatus != "" {
			status = string(e.FromStatus) + " → " + status
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", stamp(e.CreatedAt), e.Type, status, oneLine(e.Detail))
	}
}

func webhookTable(w io.Writer, e *api.WebhookEndpoint) {
	fmt.Fprintf(w, "ID\t%s\nURL\t%s\nEVENTS\t%s\nCREATED\t%s\n", e.ID, e.URL, strings.Join(e.Events, ", "), stamp(e.CreatedAt))
	if e.Secret != "" {
		fmt.Fprintf(w, "SECRET\t%s\t(shown only this once)\n", e.Secret)
	}
}

func webhooksTable(w io.Writer, list []api.WebhookEndpoint) {
	fmt.Fprintln(w, "ID\tURL\tEVENTS\tCREATED")
	for _, e := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", e.ID, e.URL, strings.Join(e.Events, ","), stamp(e.CreatedAt))
	}
}

func deliveriesTable(w io.Writer, list []api.DeliveryAttempt) {
	fmt.Fprintln(w, "ID\tTIME\tEVENT\tWEBHOOK-ID\tATTEMPT\tRESULT\tDURATION")
	for _, d := range list {
		result := "ok"
		if !d.Succeeded {
			result = "failed"
		}
		if d.ResponseStatus != 0 {
			result += " " + strconv.Itoa(d.ResponseStatus)
		}
		if d.Error != "" {
			result += ": " + oneLine(d.Error)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\t%dms\n", d.ID, stamp(d.AttemptedAt), d.EventType, d.WebhookID, d.Attempt, result, d.DurationMs)
	}
}

func providersTable(w io.Writer, list []api.Provider) {
	fmt.Fprintln(w, "NAME\tDISPLAY NAME\tLANGUAGES\tREQUIRED SIGNER FIELDS")
	for _, p := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", p.Name, p.DisplayName, strings.Join(p.Languages, ","), strings.Join(p.RequiredSignerFields, ","))
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// oneLine keeps a free-text field on its table row.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
